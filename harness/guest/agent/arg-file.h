/* SPDX-License-Identifier: GPL-2.0-only */
/* The nested host's argument file: lkvm's arguments as the harness wrote them. */
#ifndef KVMATRIX_ARG_FILE_H
#define KVMATRIX_ARG_FILE_H

#include <stddef.h>

/*
 * Reads a file of NUL-terminated arguments into buf and points argv at
 * them, after prog as argv[0] and before a closing NULL. Returns the
 * number of entries in argv, or -1 with why saying what is wrong: a file
 * that cannot be read, is empty, does not end with a NUL byte, is larger
 * than buf, or holds more arguments than argv has room for. Nothing is
 * ever cut: lkvm run with part of its arguments would be another VM than
 * the one the harness asked for.
 */
int read_arg_file(const char *path, const char *prog, char *buf, size_t len, char **argv, int max_args,
		  char *why, size_t whylen);

#endif
