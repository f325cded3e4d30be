/*
 * Where the library's large static arrays lie. A short process touches only a few small
 * variables of the library, and each page it writes is a page fault (about 12 us here, issue
 * 11). INFLAME_COLD puts a zero-initialized array that such a process never writes (or writes
 * only when a feature is used) after all the rest of .bss, so that the variables start-up does
 * write share a few pages instead of lying between these arrays.
 */
#ifndef INFLAME_LAYOUT_H
#define INFLAME_LAYOUT_H

/* .lbss is the x86-64 large-data .bss: the linker places it after .bss, in the same writable
 * segment, and nothing in it takes a page until it is written. Elsewhere the arrays stay in
 * .bss, where they are only less well packed. */
#if defined(__x86_64__) && defined(__GNUC__)
#define INFLAME_COLD __attribute__((section(".lbss")))
#else
#define INFLAME_COLD
#endif

/* INFLAME_HOT gathers small variables that every process writes at start-up but that lie, by
 * the order of the files, alone on a page of .bss no short process otherwise touches. .data1 is
 * an output section of its own in the usual linker script, between .data and .bss: on the page
 * where .bss begins, which the loader writes anyway (it zeroes the part of .bss that shares a
 * page with the file's data). Each page kept out is one page fault less (issue 11). */
#if defined(__GNUC__)
#define INFLAME_HOT __attribute__((section(".data1")))
#else
#define INFLAME_HOT
#endif

#endif
