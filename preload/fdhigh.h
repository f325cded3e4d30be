/*
 * Moving a descriptor inflame just opened away from the low numbers, without ever closing one of
 * the program's. All functions here are async-signal-safe.
 */
#ifndef INFLAME_FDHIGH_H
#define INFLAME_FDHIGH_H

#include <sys/types.h>

/* The lowest number inflame's descriptors are moved to. Programs dup2() onto low numbers, and
 * some close every descriptor up to a bound of their own. */
#define INFLAME_FDHIGH_MIN 512

/* Moves fd, which the caller just opened, to a number >= INFLAME_FDHIGH_MIN, close-on-exec.
 * Returns the new descriptor; fd itself where no such number is free (fd stays open); or
 * -EBADF when fd was closed meanwhile by another thread of the program, with nothing of
 * inflame's left open (fd is not closed again: its number may be the program's now). */
int inflame_fdhigh_move(int fd);

/* open(path, flags, mode) for a file inflame opens on a thread of its own, or while the
 * program's threads run, moved as by inflame_fdhigh_move (close-on-exec). Returns the
 * descriptor or -errno. */
int inflame_fdhigh_open(const char *path, int flags, mode_t mode);

#endif
