/* agen-stack.c — guarded fiber stacks and their per-thread pool
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "agen-asan-private.h"
#include "agen-stack-private.h"
#include "agen-tsan-private.h"

/*
 * Stacks are carved out of slabs: one anonymous private mapping holds many
 * stacks of one size, each with a guard at its low end (stacks grow down,
 * so running off the end faults there instead of scribbling on a
 * neighbour). The guard is AGEN_STACK_GUARD_BYTES, many pages: see there
 * why. MAP_NORESERVE plus the kernel's lazy commit mean a 256 KiB stack
 * costs only the pages a fiber actually touches.
 *
 * On Linux 6.13 and later the guard pages are installed with
 * MADV_GUARD_INSTALL, which marks pages as faulting without splitting the
 * mapping: a slab of 64 stacks is one entry in /proc/self/maps, so a
 * process can hold 100,000 suspended fibers far below vm.max_map_count
 * (65,530 by default). Older kernels refuse the advice; there each guard
 * is mprotect()ed instead, which splits the mapping (two entries per
 * stack), limiting a process to about 32,000 stacks unless the sysctl is
 * raised. The choice is made once, on the first slab.
 *
 * Slabs and their free lists are shared by all threads under a lock.
 * Mapping, unmapping and locking are what a fiber's life should not cost,
 * so finished stacks go to a small per-thread pool first: in steady state
 * creating and finishing a fiber costs no system call and no lock. The
 * pool is per thread so that it needs no lock; a stack released on
 * another thread than the one that acquired it simply joins that thread's
 * pool. What overflows the pool goes back to its slab with its pages
 * given back to the kernel (MADV_DONTNEED), and a slab whose stacks are
 * all free is unmapped: memory comes back after a burst.
 *
 * Only stacks of exactly the requested size are reused: handing out a
 * bigger one would make the overflow message lie about the size, and
 * generators of one kind tend to share one size anyway. The pool keeps a
 * few size classes, each bounded.
 */

#ifndef MADV_GUARD_INSTALL
# define MADV_GUARD_INSTALL 102
#endif

/* The guard below each stack. A function whose frame is larger than the
 * guard can move the stack pointer past all of it at once and land in the
 * stack below, whose top holds a suspended fiber's frames, unless it was
 * compiled with -fstack-clash-protection (which probes every page of a
 * large frame in order). So the guard is sized for the frames C code
 * plausibly declares (64 KiB buffers, with room to spare), not for one
 * page. Its cost is address space and page tables, not memory: guard
 * pages are never committed, but a stack's stride through the slab grows
 * by the guard, and page tables cost about 1/512 of the address space a
 * slab spans (one 4 KiB table per 2 MiB, nearly every one of which holds
 * some stack's touched top page or guard marker): 128 KiB of guard adds
 * about 256 bytes of page tables per stack. MADV_GUARD_INSTALL and
 * mprotect() cost the same here. On 32-bit systems, where address space is
 * scarce, the guard is smaller. */
#if GLIB_SIZEOF_VOID_P >= 8
# define AGEN_STACK_GUARD_BYTES (128 * 1024)
#else
# define AGEN_STACK_GUARD_BYTES (64 * 1024)
#endif

/* A cap on stacks per slab, and the address space per slab: as many
 * default-size stacks as the cap allows. */
#define AGEN_STACK_SLAB_MAX_STACKS 64
#define AGEN_STACK_SLAB_BYTES \
  (AGEN_STACK_SLAB_MAX_STACKS * (AGEN_FIBER_DEFAULT_STACK_SIZE + AGEN_STACK_GUARD_BYTES))

typedef struct _AgenStackSlab AgenStackSlab;

struct _AgenStackSlab
{
  AgenStackSlab *next;           /* in the slab list of its size */
  guint8        *mapping;
  gsize          mapping_size;
  gsize          size;           /* usable size of each stack */
  guint          n_stacks;
  guint          n_free;
  AgenStack     *free_stacks;    /* linked through pool_next */
  AgenStack      stacks[];
};

G_LOCK_DEFINE_STATIC (slabs);
static AgenStackSlab *slabs;     /* every slab, all sizes */

/* The slabs lock, made visible to ThreadSanitizer (agen-tsan-private.h). */
static inline void
slabs_lock (void)
{
  G_LOCK (slabs);
  AGEN_TSAN_ACQUIRE (&slabs);
}

static inline void
slabs_unlock (void)
{
  AGEN_TSAN_RELEASE (&slabs);
  G_UNLOCK (slabs);
}

/* -1 unknown, 0 mprotect fallback, 1 MADV_GUARD_INSTALL works */
static int agen_stack_guard_install = -1;

/* How many distinct sizes the pool remembers; a stack of a further size is
 * unmapped on release. */
#define AGEN_STACK_POOL_N_BUCKETS 4

/* Default-size stacks kept per thread. Pages a fiber dirtied stay
 * committed while the stack waits in the pool, so this bounds the memory
 * a thread holds on to (16 × 256 KiB at worst). */
#define AGEN_STACK_POOL_MAX_DEFAULT 16

/* Other sizes keep about the same number of bytes, but at least one and
 * at most as many stacks as the default size. */
#define AGEN_STACK_POOL_MAX_BYTES \
  ((gsize) AGEN_STACK_POOL_MAX_DEFAULT * AGEN_FIBER_DEFAULT_STACK_SIZE)

typedef struct
{
  gsize      size;       /* usable size; 0 while the bucket is unused */
  AgenStack *stacks;     /* singly linked through pool_next, LIFO */
  guint      n_stacks;
  guint      max_stacks;
} AgenStackBucket;

typedef struct
{
  AgenStackBucket buckets[AGEN_STACK_POOL_N_BUCKETS];
} AgenStackPool;

static void agen_stack_pool_free (gpointer data);

static GPrivate agen_stack_pool_private = G_PRIVATE_INIT (agen_stack_pool_free);

static gint agen_stack_mapped_count;

static gsize
agen_stack_get_page_size (void)
{
  static gsize page_size;

  if (g_once_init_enter (&page_size))
    {
      long value = sysconf (_SC_PAGESIZE);

      g_once_init_leave (&page_size, value > 0 ? (gsize) value : 4096);
    }

  return page_size;
}

/* Whole pages, at least one. */
static gsize
agen_stack_get_guard_size (void)
{
  gsize page_size = agen_stack_get_page_size ();

  return MAX ((AGEN_STACK_GUARD_BYTES + page_size - 1) & ~(page_size - 1), page_size);
}

static gsize
agen_stack_round_size (gsize size)
{
  gsize page_size = agen_stack_get_page_size ();

  if (size == 0)
    size = AGEN_FIBER_DEFAULT_STACK_SIZE;

  /* Callers check sizes against the maximum, far below where rounding
   * and the guard could wrap. */
  g_assert (size <= AGEN_FIBER_MAX_STACK_SIZE);

  return (size + page_size - 1) & ~(page_size - 1);
}

/* FALSE with errno set when the kernel refuses: mprotect splits the
 * mapping, which fails once the process has too many of them. */
static gboolean
agen_stack_install_guard (guint8 *guard,
                          gsize   guard_size)
{
  if (agen_stack_guard_install != 0)
    {
      if (madvise (guard, guard_size, MADV_GUARD_INSTALL) == 0)
        {
          agen_stack_guard_install = 1;
          return TRUE;
        }

      if (agen_stack_guard_install == 1)
        return FALSE;

      /* An older kernel: fall back for good. */
      agen_stack_guard_install = 0;
    }

  return mprotect (guard, guard_size, PROT_NONE) == 0;
}

static void
agen_stack_set_map_error (GError **error,
                          int      saved_errno,
                          gsize    size)
{
  /* The size formatted apart: xgettext cannot read a G_GSIZE_FORMAT. */
  g_autofree char *size_text = g_strdup_printf ("%" G_GSIZE_FORMAT, size);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not map a fiber stack of %s bytes: %s"),
               size_text, g_strerror (saved_errno));
}

/* Called with the slabs lock held. NULL with error set when the kernel
 * refuses the memory. */
static AgenStackSlab *
agen_stack_slab_new (gsize    size,
                     GError **error)
{
  gsize guard_size = agen_stack_get_guard_size ();
  gsize stride = size + guard_size;
  guint n_stacks = CLAMP (AGEN_STACK_SLAB_BYTES / stride, 1, AGEN_STACK_SLAB_MAX_STACKS);
  AgenStackSlab *slab;
  guint8 *mapping;

  mapping = mmap (NULL,
                  stride * n_stacks,
                  PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                  -1,
                  0);
  if (mapping == MAP_FAILED)
    {
      agen_stack_set_map_error (error, errno, size);
      return NULL;
    }

  for (guint i = 0; i < n_stacks; i++)
    if (!agen_stack_install_guard (mapping + i * stride, guard_size))
      {
        int saved_errno = errno;

        munmap (mapping, stride * n_stacks);
        agen_stack_set_map_error (error, saved_errno, size);
        return NULL;
      }

  g_atomic_int_inc (&agen_stack_mapped_count);

  slab = g_malloc0 (sizeof *slab + n_stacks * sizeof (AgenStack));
  slab->mapping = mapping;
  slab->mapping_size = stride * n_stacks;
  slab->size = size;
  slab->n_stacks = n_stacks;

  /* Build the free list so that the lowest stack is handed out first. */
  for (guint i = n_stacks; i-- > 0;)
    {
      AgenStack *stack = &slab->stacks[i];

      stack->mapping = mapping + i * stride;
      stack->mapping_size = stride;
      stack->base = stack->mapping + guard_size;
      stack->size = size;
      stack->slab = slab;

      stack->pool_next = slab->free_stacks;
      slab->free_stacks = stack;
    }
  slab->n_free = n_stacks;

  slab->next = slabs;
  slabs = slab;

  return slab;
}

/* Called with the slabs lock held. */
static void
agen_stack_slab_free (AgenStackSlab *slab)
{
  for (AgenStackSlab **link = &slabs; *link != NULL; link = &(*link)->next)
    if (*link == slab)
      {
        *link = slab->next;
        break;
      }

#ifdef AGEN_ASAN
  /* Its stacks were all released unpoisoned, but the shadow pages each
   * shared with a neighbour stayed; ASan does not release shadow on
   * munmap (agen-asan-private.h). */
  agen_asan_release_region (slab->mapping, slab->mapping_size);
#endif

  if (munmap (slab->mapping, slab->mapping_size) != 0)
    g_critical ("agen: could not unmap fiber stacks: %s", g_strerror (errno));

  g_free (slab);
}

static AgenStack *
agen_stack_map (gsize    size,
                GError **error)
{
  AgenStackSlab *slab;
  AgenStack *stack;

  slabs_lock ();

  for (slab = slabs; slab != NULL; slab = slab->next)
    if (slab->size == size && slab->free_stacks != NULL)
      break;

  if (slab == NULL)
    slab = agen_stack_slab_new (size, error);
  if (slab == NULL)
    {
      slabs_unlock ();
      return NULL;
    }

  stack = slab->free_stacks;
  slab->free_stacks = stack->pool_next;
  slab->n_free--;

  slabs_unlock ();

  stack->pool_next = NULL;
  return stack;
}

/* Back to its slab, with its pages returned to the kernel. */
static void
agen_stack_unmap (AgenStack *stack)
{
  AgenStackSlab *slab = stack->slab;

  /* Dirty pages would otherwise stay committed for as long as the slab
   * lives. The guard survives MADV_DONTNEED. */
  if (madvise (stack->base, stack->size, MADV_DONTNEED) != 0)
    g_critical ("agen: could not release a fiber stack's pages: %s", g_strerror (errno));

  slabs_lock ();
  stack->pool_next = slab->free_stacks;
  slab->free_stacks = stack;
  if (++slab->n_free == slab->n_stacks)
    agen_stack_slab_free (slab);
  slabs_unlock ();
}

static void
agen_stack_bucket_clear (AgenStackBucket *bucket)
{
  while (bucket->stacks != NULL)
    {
      AgenStack *stack = bucket->stacks;

      bucket->stacks = stack->pool_next;
      agen_stack_unmap (stack);
    }

  bucket->n_stacks = 0;
  bucket->size = 0;
}

/* The GPrivate destroy notify: runs when a thread that used the pool
 * exits. */
static void
agen_stack_pool_free (gpointer data)
{
  AgenStackPool *pool = data;

  for (guint i = 0; i < G_N_ELEMENTS (pool->buckets); i++)
    agen_stack_bucket_clear (&pool->buckets[i]);

  g_free (pool);
}

static AgenStackPool *
agen_stack_get_pool (gboolean create)
{
  AgenStackPool *pool = g_private_get (&agen_stack_pool_private);

  if (pool == NULL && create)
    {
      pool = g_new0 (AgenStackPool, 1);
      g_private_set (&agen_stack_pool_private, pool);
    }

  return pool;
}

static guint
agen_stack_max_pooled (gsize size)
{
  if (size == AGEN_FIBER_DEFAULT_STACK_SIZE)
    return AGEN_STACK_POOL_MAX_DEFAULT;

  return CLAMP (AGEN_STACK_POOL_MAX_BYTES / size, 1, AGEN_STACK_POOL_MAX_DEFAULT);
}

AgenStack *
agen_stack_acquire (gsize    size,
                    GError **error)
{
  AgenStackPool *pool = agen_stack_get_pool (FALSE);

  size = agen_stack_round_size (size);

  if (pool != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (pool->buckets); i++)
        {
          AgenStackBucket *bucket = &pool->buckets[i];

          if (bucket->size == size && bucket->stacks != NULL)
            {
              AgenStack *stack = bucket->stacks;

              bucket->stacks = stack->pool_next;
              bucket->n_stacks--;
              stack->pool_next = NULL;

              return stack;
            }
        }
    }

  return agen_stack_map (size, error);
}

void
agen_stack_release (AgenStack *stack)
{
  AgenStackPool *pool;
  AgenStackBucket *free_bucket = NULL;

  g_return_if_fail (stack != NULL);

  pool = agen_stack_get_pool (TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (pool->buckets); i++)
    {
      AgenStackBucket *bucket = &pool->buckets[i];

      if (bucket->size == stack->size)
        {
          if (bucket->n_stacks >= bucket->max_stacks)
            {
              agen_stack_unmap (stack);
              return;
            }

          stack->pool_next = bucket->stacks;
          bucket->stacks = stack;
          bucket->n_stacks++;

          return;
        }

      /* An emptied bucket is up for grabs by another size. */
      if (free_bucket == NULL && bucket->stacks == NULL)
        free_bucket = bucket;
    }

  /* A size the pool has no bucket for yet: take an empty one if any. */
  if (free_bucket != NULL)
    {
      free_bucket->size = stack->size;
      free_bucket->max_stacks = agen_stack_max_pooled (stack->size);
      free_bucket->n_stacks = 1;
      free_bucket->stacks = stack;
      stack->pool_next = NULL;

      return;
    }

  agen_stack_unmap (stack);
}

gboolean
agen_stack_is_guard_hit (const AgenStack *stack,
                         gconstpointer    addr)
{
  const guint8 *p = addr;

  /* Called from the SIGSEGV handler: only reads fields that never change
   * while the stack is in use. */
  return stack != NULL && p >= stack->mapping && p < stack->base;
}

void
agen_stack_pool_trim (void)
{
  AgenStackPool *pool = agen_stack_get_pool (FALSE);

  if (pool == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (pool->buckets); i++)
    agen_stack_bucket_clear (&pool->buckets[i]);
}

guint
agen_stack_get_mapped_count (void)
{
  return (guint) g_atomic_int_get (&agen_stack_mapped_count);
}

guint
agen_stack_pool_count (gsize size)
{
  AgenStackPool *pool = agen_stack_get_pool (FALSE);

  size = agen_stack_round_size (size);
  if (pool == NULL)
    return 0;

  for (guint i = 0; i < G_N_ELEMENTS (pool->buckets); i++)
    if (pool->buckets[i].size == size)
      return pool->buckets[i].n_stacks;

  return 0;
}

gboolean
agen_stack_has_guard_install (void)
{
  return g_atomic_int_get (&agen_stack_guard_install) == 1;
}
