/* agen-gio-children.c — the children of a directory, or a whole tree
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-gio.h"
#include "agen-values.h"

/*
 * A fiber body over g_file_enumerator_next_files_async(), BATCH_SIZE infos
 * per request, awaited with the step's cancellable when the infos of the
 * previous batch have all been yielded.
 *
 * It does not read ahead (ask for the next batch while the consumer takes
 * the current one): measured on a 2-CPU machine shared with other work,
 * reading ahead made listing a directory 10-40 % slower, not faster, since
 * the worker thread then competes with the consumer for a CPU (see
 * docs/performance.md, B8).
 */

/* Infos per next_files request, for every directory. */
#define BATCH_SIZE 100

typedef struct
{
  GFile           *dir;
  GFileEnumerator *enumerator;
  GList           *infos;      /* the current batch, not yet yielded */
  gboolean         done;       /* the enumerator has given its last batch */
} Frame;

typedef struct
{
  GFile               *directory;
  char                *attributes;
  GFileQueryInfoFlags  query_flags;
  AgenChildrenFlags    flags;
  GPtrArray           *frames;   /* of Frame*, the innermost last */
} Walk;

static void
frame_free (gpointer data)
{
  Frame *frame = data;

  g_list_free_full (frame->infos, g_object_unref);
  g_clear_object (&frame->enumerator);
  g_clear_object (&frame->dir);
  g_free (frame);
}

static void
walk_free (gpointer data)
{
  Walk *walk = data;

  g_clear_object (&walk->directory);
  g_free (walk->attributes);
  g_ptr_array_unref (walk->frames);
  g_free (walk);
}

/* Reads the next batch of frame into frame->infos (empty: the end). */
static gboolean
read_batch (AgenGenerator  *self,
            Frame          *frame,
            GError        **error)
{
  GError *local_error = NULL;

  g_file_enumerator_next_files_async (frame->enumerator, BATCH_SIZE,
                                      G_PRIORITY_DEFAULT,
                                      agen_generator_get_cancellable (self),
                                      AGEN_AWAIT_CALLBACK (self));
  frame->infos = g_file_enumerator_next_files_finish (frame->enumerator,
                                                      agen_generator_await (self),
                                                      &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  frame->done = frame->infos == NULL;

  return TRUE;
}

/* Opens dir and pushes its frame. */
static gboolean
push_frame (AgenGenerator  *self,
            Walk           *walk,
            GFile          *dir,
            GError        **error)
{
  GFileEnumerator *enumerator;
  Frame *frame;

  g_file_enumerate_children_async (dir, walk->attributes, walk->query_flags,
                                   G_PRIORITY_DEFAULT,
                                   agen_generator_get_cancellable (self),
                                   AGEN_AWAIT_CALLBACK (self));
  enumerator = g_file_enumerate_children_finish (dir, agen_generator_await (self),
                                                 error);
  if (enumerator == NULL)
    return FALSE;

  frame = g_new0 (Frame, 1);
  frame->dir = g_object_ref (dir);
  frame->enumerator = enumerator;
  g_ptr_array_add (walk->frames, frame);

  return TRUE;
}

/* Ends the innermost frame: closes its enumerator. Cleanup: not
 * cancellable by the step, which may be cancelled already. */
static void
pop_frame (AgenGenerator *self,
           Walk          *walk)
{
  Frame *frame = g_ptr_array_index (walk->frames, walk->frames->len - 1);

  g_file_enumerator_close_async (frame->enumerator, G_PRIORITY_DEFAULT, NULL,
                                 AGEN_AWAIT_CALLBACK (self));
  g_file_enumerator_close_finish (frame->enumerator,
                                  agen_generator_await (self), NULL);

  g_ptr_array_remove_index (walk->frames, walk->frames->len - 1);
}

/* Yields an info standing for subdir, which could not be read. */
static gboolean
report_error (AgenGenerator  *self,
              Frame          *parent,
              GFileInfo      *subdir_info,
              guint           depth,
              const GError   *dir_error,
              GError        **error)
{
  g_autoptr(GFileInfo) info = g_file_info_dup (subdir_info);
  g_auto(GValue) value = G_VALUE_INIT;

  g_file_info_set_attribute_object (info, AGEN_FILE_ATTRIBUTE_PARENT,
                                    G_OBJECT (parent->dir));
  g_file_info_set_attribute_uint32 (info, AGEN_FILE_ATTRIBUTE_DEPTH, depth);
  g_file_info_set_attribute_string (info, AGEN_FILE_ATTRIBUTE_ERROR,
                                    dir_error->message);

  g_value_init (&value, G_TYPE_FILE_INFO);
  g_value_set_object (&value, info);

  return agen_generator_yield (self, &value, NULL, error);
}

static gboolean
walk_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  Walk *walk = user_data;
  gboolean recursive = (walk->flags & AGEN_CHILDREN_FLAGS_RECURSIVE) != 0;
  gboolean ok;

  ok = push_frame (self, walk, walk->directory, error);

  while (ok && walk->frames->len > 0)
    {
      guint depth = walk->frames->len - 1;
      Frame *frame = g_ptr_array_index (walk->frames, depth);
      GFileInfo *info;   /* from the batch, given to the yield */
      g_autoptr(GFileInfo) kept = NULL;
      GFile *subdir = NULL;

      if (frame->infos == NULL)
        {
          GError *local_error = NULL;

          if (!frame->done && !read_batch (self, frame, &local_error))
            {
              /* A subdirectory that fails mid-way is reported like one
               * that cannot be opened: by its parent, below. */
              if (depth > 0 &&
                  (walk->flags & AGEN_CHILDREN_FLAGS_REPORT_ERRORS) != 0 &&
                  !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                {
                  g_autoptr(GFileInfo) dir_info = g_file_info_new ();
                  g_autofree char *name = g_file_get_basename (frame->dir);
                  Frame *parent;

                  g_file_info_set_name (dir_info, name);
                  g_file_info_set_file_type (dir_info, G_FILE_TYPE_DIRECTORY);
                  pop_frame (self, walk);
                  parent = g_ptr_array_index (walk->frames, depth - 1);
                  ok = report_error (self, parent, dir_info, depth - 1,
                                     local_error, error);
                  g_error_free (local_error);
                  continue;
                }
              g_propagate_error (error, local_error);
              ok = FALSE;
              break;
            }
          if (frame->infos == NULL)
            {
              pop_frame (self, walk);
              continue;
            }
        }

      info = frame->infos->data;
      frame->infos = g_list_delete_link (frame->infos, frame->infos);

      if (recursive)
        {
          g_file_info_set_attribute_object (info, AGEN_FILE_ATTRIBUTE_PARENT,
                                            G_OBJECT (frame->dir));
          g_file_info_set_attribute_uint32 (info, AGEN_FILE_ATTRIBUTE_DEPTH,
                                            depth);
          if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
            subdir = g_file_get_child (frame->dir, g_file_info_get_name (info));
        }

      /* Kept only for a subdirectory, whose failure reports it. */
      if (subdir != NULL)
        kept = g_object_ref (info);
      ok = agen_generator_take_object (self, info, error);
      info = kept;

      if (ok && subdir != NULL)
        {
          GError *local_error = NULL;

          if (!push_frame (self, walk, subdir, &local_error))
            {
              if ((walk->flags & AGEN_CHILDREN_FLAGS_REPORT_ERRORS) != 0 &&
                  !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                ok = report_error (self, frame, info, depth, local_error, error);
              else
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  ok = FALSE;
                }
              g_clear_error (&local_error);
            }
        }
      g_clear_object (&subdir);
    }

  /* Closed early, or failed: close every enumerator still open. */
  while (walk->frames->len > 0)
    pop_frame (self, walk);

  return ok;
}

/**
 * agen_file_children:
 * @directory: the directory to list
 * @attributes: the attributes to query, as for
 *   [method@Gio.File.enumerate_children]
 * @query_flags: flags for the query
 * @flags: options
 *
 * Makes a generator that yields the children of @directory as
 * [class@Gio.FileInfo]s, in the order the file system gives them.
 *
 * Underneath it reads batches of 100 infos with
 * [method@Gio.FileEnumerator.next_files_async], the next batch when the
 * consumer has taken the current one, with the step's cancellable.
 *
 * With %AGEN_CHILDREN_FLAGS_RECURSIVE it walks the whole tree depth first:
 * the info of a subdirectory comes right before its contents, each info
 * carries the directory that holds it (%AGEN_FILE_ATTRIBUTE_PARENT, so
 * `g_file_get_child (parent, g_file_info_get_name (info))` is the file) and
 * its depth (%AGEN_FILE_ATTRIBUTE_DEPTH); `standard::name` and
 * `standard::type` are queried in addition to @attributes. Symbolic links to directories are
 * followed only without %G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS (beware of
 * loops).
 *
 * A subdirectory that cannot be read ends the walk with its error, unless
 * %AGEN_CHILDREN_FLAGS_REPORT_ERRORS is given: then the generator yields, in
 * its place, an info for it (named like it, with its parent and depth) that
 * carries the error message in %AGEN_FILE_ATTRIBUTE_ERROR, and goes on. An
 * error of @directory itself always ends the walk.
 *
 * Closed early, the generator closes every enumerator it opened.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_file_children (GFile               *directory,
                    const char          *attributes,
                    GFileQueryInfoFlags  query_flags,
                    AgenChildrenFlags    flags)
{
  AgenGenerator *gen;
  Walk *walk;

  g_return_val_if_fail (G_IS_FILE (directory), NULL);
  g_return_val_if_fail (attributes != NULL, NULL);

  walk = g_new0 (Walk, 1);
  walk->directory = g_object_ref (directory);
  if ((flags & AGEN_CHILDREN_FLAGS_RECURSIVE) != 0)
    walk->attributes = g_strconcat (attributes, ",", G_FILE_ATTRIBUTE_STANDARD_NAME,
                                    ",", G_FILE_ATTRIBUTE_STANDARD_TYPE, NULL);
  else
    walk->attributes = g_strdup (attributes);
  walk->query_flags = query_flags;
  walk->flags = flags;
  walk->frames = g_ptr_array_new_with_free_func (frame_free);

  gen = agen_generator_new (walk_body, walk, walk_free);
  agen_generator_set_name (gen, "file-children");

  return gen;
}
