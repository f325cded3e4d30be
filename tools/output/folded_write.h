/*
 * Writing a stack set as folded stacks, the portable subset every flame graph tool reads:
 * frames root first separated by ';', one space, an integer count, '\n'. A differential set
 * ("stack base count", as difffolded.pl writes) keeps both counts on every line.
 *
 * Frame names are made safe for the format: ';' becomes ':', line breaks become spaces and
 * other control characters '?'. So every line parses back, and a hostile name cannot drive a
 * terminal. Stacks are written in the set's order; empty stacks and zero counts are left out.
 */
#ifndef INFLAME_FOLDED_WRITE_H
#define INFLAME_FOLDED_WRITE_H

#include "view/stackset.h"

#include <stddef.h>
#include <stdio.h>

/* Writes ss to f. Returns 0, -ENOMEM, or -EIO when a write failed (errno tells why). */
int inflame_folded_write(FILE *f, const struct inflame_stackset *ss);

#endif
