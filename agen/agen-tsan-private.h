/* agen-tsan-private.h — happens-before annotations for ThreadSanitizer
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/*
 * GLib is not built with ThreadSanitizer and GMutex/GCond are futex-based,
 * so TSan cannot see the ordering they give. Where agen hands data from one
 * thread to another through them, it says so explicitly: RELEASE on the
 * handed-over object before publishing it, ACQUIRE on it after taking it.
 * Without TSan these are no-ops.
 */

#if defined(__SANITIZE_THREAD__)
# define AGEN_TSAN_ENABLED 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define AGEN_TSAN_ENABLED 1
# endif
#endif

#ifdef AGEN_TSAN_ENABLED
# include <sanitizer/tsan_interface.h>
# define AGEN_TSAN_RELEASE(addr) __tsan_release ((void *) (addr))
# define AGEN_TSAN_ACQUIRE(addr) __tsan_acquire ((void *) (addr))
#else
# define AGEN_TSAN_RELEASE(addr) ((void) 0)
# define AGEN_TSAN_ACQUIRE(addr) ((void) 0)
#endif
