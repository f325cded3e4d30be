/*
 * The credentials of inflame's own threads (the wall-clock ticker, the writer) follow the
 * program's (creds.c). glibc applies every set*id call to all the threads it knows and aborts
 * the process when their results differ; capabilities and securebits are per thread, so a
 * program that changes them in one thread (setpriv: keep-caps, setresuid, capset, setresgid)
 * would see inflame's threads fail where its own succeed.
 */
#ifndef INFLAME_CREDS_H
#define INFLAME_CREDS_H

#include <stdatomic.h>

enum inflame_creds_follower {
	INFLAME_CREDS_TICKER = 0,
	INFLAME_CREDS_WRITER = 1,
	INFLAME_CREDS_FOLLOWERS = 2,
};

/* Follower f (made by the caller next, on: 1) is a thread of this image, or is no more (on:
 * 0, once it is joined). */
void inflame_creds_register(enum inflame_creds_follower f, int on);
/* In a fork child: the parent's followers are not here. */
void inflame_creds_after_fork_child(void);
/* Follower f takes the capabilities and securebits of the last set*id call's thread, if it has
 * not yet. Called at the top of its loop. Async-signal-safe. */
void inflame_creds_follow(enum inflame_creds_follower f);
/* The futex word a follower with nothing else to wait for may sleep on: it changes (and is
 * woken) when there is something to follow. */
extern _Atomic unsigned inflame__creds_gen;

#endif
