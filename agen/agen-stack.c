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

#include "agen-stack-private.h"

/*
 * Each stack is one anonymous private mapping: a PROT_NONE guard page at
 * the low end (stacks grow down, so running off the end faults there
 * instead of scribbling on a neighbour) and the usable part above it.
 * MAP_NORESERVE plus the kernel's lazy commit mean a 256 KiB stack costs
 * only the pages a fiber actually touches.
 *
 * Mapping and unmapping are system calls that also take the process-wide
 * mmap lock, so finished stacks go to a small per-thread pool instead:
 * in steady state creating and finishing a fiber costs no system call.
 * The pool is per thread so that it needs no lock; a stack released on
 * another thread than the one that acquired it simply joins that thread's
 * pool.
 *
 * Only stacks of exactly the requested size are reused: handing out a
 * bigger one would make the overflow message lie about the size, and
 * generators of one kind tend to share one size anyway. The pool keeps a
 * few size classes, each bounded; anything beyond is unmapped.
 */

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

static gsize
agen_stack_round_size (gsize size)
{
  gsize page_size = agen_stack_get_page_size ();

  if (size == 0)
    size = AGEN_FIBER_DEFAULT_STACK_SIZE;

  /* Leave room for the rounding and the guard page without wrapping. */
  if (size > G_MAXSIZE / 2)
    g_error ("agen: a fiber stack of %" G_GSIZE_FORMAT " bytes is too large", size);

  return (size + page_size - 1) & ~(page_size - 1);
}

static AgenStack *
agen_stack_map (gsize size)
{
  gsize page_size = agen_stack_get_page_size ();
  AgenStack *stack;
  guint8 *mapping;
  gsize mapping_size = size + page_size;

  mapping = mmap (NULL,
                  mapping_size,
                  PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                  -1,
                  0);
  if (mapping == MAP_FAILED)
    g_error ("agen: could not map a %" G_GSIZE_FORMAT "-byte fiber stack: %s",
             size, g_strerror (errno));

  if (mprotect (mapping, page_size, PROT_NONE) != 0)
    g_error ("agen: could not protect a fiber stack's guard page: %s",
             g_strerror (errno));

  g_atomic_int_inc (&agen_stack_mapped_count);

  stack = g_new0 (AgenStack, 1);
  stack->mapping = mapping;
  stack->mapping_size = mapping_size;
  stack->base = mapping + page_size;
  stack->size = size;

  return stack;
}

static void
agen_stack_unmap (AgenStack *stack)
{
  if (munmap (stack->mapping, stack->mapping_size) != 0)
    g_critical ("agen: could not unmap a fiber stack: %s", g_strerror (errno));

  g_free (stack);
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
agen_stack_acquire (gsize size)
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

  return agen_stack_map (size);
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
