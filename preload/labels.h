/*
 * Labels of threads (inflame_label(3)): a thread's calls put label records in its own ring
 * (api.c, the producer side), and the writer keeps each thread's current label set from them
 * and writes the changes as LABELS chunks (dump_format.h). Only the record layout and
 * inflame_labels_put() are for producers; the rest is the writer thread's.
 */
#ifndef INFLAME_LABELS_H
#define INFLAME_LABELS_H

#include "varint.h"

#include <stddef.h>
#include <stdint.h>

/* The ring record kind of a label change (sample kinds are INFLAME_EV_*, below it). */
#define INFLAME_REC_KIND_LABEL 0x100
#define INFLAME_LABEL_KEY_MAX  63  /* bytes of a key */
#define INFLAME_LABEL_VAL_MAX  191 /* bytes of a value */
#define INFLAME_LABEL_PAIRS    16  /* pairs in one thread's set */

enum inflame_label_op {
	INFLAME_LABEL_SET = 0,	 /* key = value (replacing the key's value) */
	INFLAME_LABEL_DEL = 1,	 /* remove key */
	INFLAME_LABEL_CLEAR = 2, /* remove every label */
};

struct inflame_label_rec {
	uint64_t time; /* CLOCK_MONOTONIC ns of the call */
	uint16_t op;   /* enum inflame_label_op */
	uint16_t klen, vlen;
	uint16_t pad_;
	char data[]; /* key, then value, not NUL-terminated */
};

/* Writer thread only (not async-signal-safe): applies a label record of thread tid, adding an
 * entry for its new set to the LABELS chunk being built. */
void inflame_labels_apply(uint64_t tid, const void *payload, size_t len);
/* A thread is gone (its tid may be reused): its set ends now. */
void inflame_labels_forget(uint64_t tid);
/* A new file: every current set is written again, from the file's start. */
void inflame_labels_restart(void);
/* The entries gathered since the last call, as a LABELS payload list: appends them to b and
 * returns their count (0: nothing to write). */
uint64_t inflame_labels_take(struct inflame_buf *b);
/* A fork child: labels are not inherited. */
void inflame_labels_after_fork(void);

#endif
