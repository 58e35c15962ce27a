/** Size of the raw disk image behind each blk device. */
export const DISK_IMAGE_BYTES = 4096;

/** The label the agent reads from sector 0; it must match the agent's magic. */
export const DISK_LABEL_MAGIC = 'KVMATRIX-DISK/1 ';

/**
 * A raw disk image whose first sector names its slot, so that a read that
 * reaches the wrong device (as aliased I/O windows do) shows in the check.
 */
export function diskImage(slotName: string): Buffer {
  const image = Buffer.alloc(DISK_IMAGE_BYTES);
  image.write(`${DISK_LABEL_MAGIC}${slotName}\n`, 0, 'ascii');
  return image;
}
