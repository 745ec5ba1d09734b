/* agen-tsan-private.h — happens-before annotations for ThreadSanitizer
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* AGEN_TSAN is defined when building with ThreadSanitizer: gcc says so
 * with __SANITIZE_THREAD__, clang with __has_feature(). Test this macro
 * rather than those. */
#if defined(__SANITIZE_THREAD__)
# define AGEN_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define AGEN_TSAN 1
# endif
#endif

/*
 * GLib is not built with ThreadSanitizer and GMutex/GCond are futex-based,
 * so TSan cannot see the ordering they give. Where agen hands data from one
 * thread to another through them, it says so explicitly: RELEASE on the
 * handed-over object before publishing it, ACQUIRE on it after taking it.
 * Without TSan these are no-ops.
 */

#ifdef AGEN_TSAN
# include <sanitizer/tsan_interface.h>
# define AGEN_TSAN_RELEASE(addr) __tsan_release ((void *) (addr))
# define AGEN_TSAN_ACQUIRE(addr) __tsan_acquire ((void *) (addr))
#else
# define AGEN_TSAN_RELEASE(addr) ((void) 0)
# define AGEN_TSAN_ACQUIRE(addr) ((void) 0)
#endif

/*
 * References. GObject's reference count is atomic, but its atomics are in
 * libgobject too, out of TSan's sight: when one thread drops a reference
 * and another drops the last one, TSan sees no order between what the
 * first did with the object and the second's finalize and free, and
 * reports a race that the count rules out (the first thread's read is
 * before its decrement, the free after the last). A generator freed by
 * the owner thread right after the thread that consumed it read it in its
 * callback is the usual case (test-threads, owned-by-worker-context). So
 * wherever agen drops a reference to a generator that another thread may
 * hold, it says RELEASE on the generator first (AGEN_TSAN_RELEASE_REF,
 * which takes NULL), and the generator says ACQUIRE on itself at the start
 * of dispose and finalize. References the application drops say nothing:
 * an application thread that reads a generator, then drops its reference
 * while another thread drops the last one, is still reported.
 */
#define AGEN_TSAN_RELEASE_REF(object) \
  do { if ((object) != NULL) AGEN_TSAN_RELEASE (object); } while (0)
