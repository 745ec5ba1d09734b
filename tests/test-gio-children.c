/* test-gio-children.c — the children of a directory, and recursive walks
 * (agen/agen-gio-children.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>

#include "agen-test-util.h"

typedef struct
{
  char *root;
} Tree;

static void
touch (const char *root,
       const char *relative)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
}

static void
mkdir_at (const char *root,
          const char *relative)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);

  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
}

static void
tree_setup (Tree          *tree,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  tree->root = g_dir_make_tmp ("agen-children-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_all (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  g_chmod (path, 0755);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_all (child);
      else
        g_unlink (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
tree_teardown (Tree          *tree,
               gconstpointer  data)
{
  remove_all (tree->root);
  g_free (tree->root);
}

/* The relative path of a yielded info: its name, after its parent's path
 * below root for a recursive walk. */
static char *
relative_path (GFile     *root,
               GFileInfo *info)
{
  GObject *parent = g_file_info_get_attribute_object (info, AGEN_FILE_ATTRIBUTE_PARENT);
  g_autoptr(GFile) file = NULL;

  if (parent == NULL)
    return g_strdup (g_file_info_get_name (info));
  file = g_file_get_child (G_FILE (parent), g_file_info_get_name (info));

  return g_file_get_relative_path (root, file);
}

/* Takes every item with blocking next; returns relative paths in order. */
static GPtrArray *
drain_paths (AgenGenerator  *gen,
             GFile          *root,
             GError        **error)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      GFileInfo *info;
      const char *message;

      if (!agen_generator_next (gen, NULL, &value, error))
        break;
      g_assert_true (G_VALUE_HOLDS (&value, G_TYPE_FILE_INFO));
      info = g_value_get_object (&value);
      message = g_file_info_get_attribute_string (info, AGEN_FILE_ATTRIBUTE_ERROR);
      if (message != NULL)
        {
          g_autofree char *path = relative_path (root, info);

          g_ptr_array_add (paths, g_strconcat ("!", path, NULL));
        }
      else
        {
          g_ptr_array_add (paths, relative_path (root, info));
        }
    }

  return paths;
}

static gboolean
contains (GPtrArray  *paths,
          const char *path)
{
  return g_ptr_array_find_with_equal_func (paths, path, g_str_equal, NULL);
}

static guint
index_of (GPtrArray  *paths,
          const char *path)
{
  guint i;

  g_assert_true (g_ptr_array_find_with_equal_func (paths, path, g_str_equal, &i));
  return i;
}

static void
test_flat (Tree          *tree,
           gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The children of a real directory, 250 of them (three "
                  "batches), each once; subdirectories are not entered");

  for (guint i = 0; i < 249; i++)
    {
      g_autofree char *name = g_strdup_printf ("file-%03u", i);
      touch (tree->root, name);
    }
  mkdir_at (tree->root, "sub");
  touch (tree->root, "sub/inside");

  gen = agen_file_children (root, G_FILE_ATTRIBUTE_STANDARD_NAME, 0,
                            AGEN_CHILDREN_FLAGS_NONE);
  paths = drain_paths (gen, root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 250);
  g_assert_true (contains (paths, "file-000"));
  g_assert_true (contains (paths, "file-248"));
  g_assert_true (contains (paths, "sub"));
  g_assert_false (contains (paths, "sub/inside"));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
make_tree (const char *root)
{
  touch (root, "x");
  mkdir_at (root, "d1");
  touch (root, "d1/y");
  mkdir_at (root, "d1/d2");
  touch (root, "d1/d2/z");
  mkdir_at (root, "d3");
}

static void
test_recursive (Tree          *tree,
                gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GError) error = NULL;
  const char *all[] = { "x", "d1", "d1/y", "d1/d2", "d1/d2/z", "d3", NULL };

  g_test_summary ("A recursive walk yields every file once, depth first: a "
                  "directory right before its contents, which come before "
                  "its next sibling");

  make_tree (tree->root);
  /* Only the size asked for: name and type are added. */
  gen = agen_file_children (root, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                            AGEN_CHILDREN_FLAGS_RECURSIVE);
  paths = drain_paths (gen, root, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (paths->len, ==, g_strv_length ((char **) all));
  for (guint i = 0; all[i] != NULL; i++)
    g_assert_true (contains (paths, all[i]));
  /* d1's subtree is contiguous, right after d1; d2's after d2. */
  g_assert_cmpuint (index_of (paths, "d1/y"), >, index_of (paths, "d1"));
  g_assert_cmpuint (index_of (paths, "d1/d2"), >, index_of (paths, "d1"));
  g_assert_cmpuint (index_of (paths, "d1/d2/z"), ==, index_of (paths, "d1/d2") + 1);
  g_assert_cmpuint (MAX (index_of (paths, "d1/y"), index_of (paths, "d1/d2/z")),
                    ==, index_of (paths, "d1") + 3);
}

static void
test_recursive_depth (Tree          *tree,
                      gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  g_autoptr(AgenGenerator) gen = NULL;
  guint seen = 0;

  make_tree (tree->root);
  gen = agen_file_children (root, G_FILE_ATTRIBUTE_STANDARD_NAME, 0,
                            AGEN_CHILDREN_FLAGS_RECURSIVE);
  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      GFileInfo *info;
      guint slashes = 0;

      if (!agen_generator_next (gen, NULL, &value, &error))
        {
          g_assert_no_error (error);
          break;
        }
      info = g_value_get_object (&value);
      path = relative_path (root, info);
      for (const char *p = path; *p; p++)
        slashes += *p == '/';
      g_assert_cmpuint (g_file_info_get_attribute_uint32 (info, AGEN_FILE_ATTRIBUTE_DEPTH),
                        ==, slashes);
      seen++;
    }
  g_assert_cmpuint (seen, ==, 6);
}

/* A subdirectory that goes away between its listing and the walk entering
 * it cannot be read, whoever runs the test (root reads mode 000). */
static void
test_recursive_unreadable (Tree          *tree,
                           gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  gboolean report = GPOINTER_TO_INT (data);
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *gone = g_build_filename (tree->root, "gone", NULL);

  g_test_summary ("A subdirectory that cannot be read ends the walk with "
                  "its error, or, with REPORT_ERRORS, is reported by an info "
                  "carrying agen::error and the walk goes on");

  mkdir_at (tree->root, "gone");
  gen = agen_file_children (root, G_FILE_ATTRIBUTE_STANDARD_NAME, 0,
                            AGEN_CHILDREN_FLAGS_RECURSIVE |
                            (report ? AGEN_CHILDREN_FLAGS_REPORT_ERRORS : 0));

  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      GFileInfo *info;

      if (!agen_generator_next (gen, NULL, &value, &error))
        break;
      info = g_value_get_object (&value);
      if (g_file_info_get_attribute_string (info, AGEN_FILE_ATTRIBUTE_ERROR) != NULL)
        {
          g_autofree char *path = relative_path (root, info);

          g_assert_cmpuint (g_file_info_get_attribute_uint32 (info, AGEN_FILE_ATTRIBUTE_DEPTH), ==, 0);
          g_ptr_array_add (paths, g_strconcat ("!", path, NULL));
        }
      else
        {
          g_ptr_array_add (paths, relative_path (root, info));
        }
      if (g_str_equal (g_file_info_get_name (info), "gone") && paths->len == 1)
        {
          /* Listed; now make it unreadable before the walk enters it. */
          g_assert_cmpint (g_rmdir (gone), ==, 0);
        }
    }

  if (report)
    {
      g_assert_no_error (error);
      g_assert_cmpuint (paths->len, ==, 2);
      g_assert_cmpstr (g_ptr_array_index (paths, 0), ==, "gone");
      g_assert_cmpstr (g_ptr_array_index (paths, 1), ==, "!gone");
    }
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_assert_cmpuint (paths->len, ==, 1);
    }
}

static void
test_recursive_permission (Tree          *tree,
                           gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *locked = g_build_filename (tree->root, "locked", NULL);

  if (geteuid () == 0)
    {
      g_test_skip ("root reads directories of mode 000");
      return;
    }

  make_tree (tree->root);
  mkdir_at (tree->root, "locked");
  touch (tree->root, "locked/secret");
  g_assert_cmpint (g_chmod (locked, 0), ==, 0);

  gen = agen_file_children (root, G_FILE_ATTRIBUTE_STANDARD_NAME, 0,
                            AGEN_CHILDREN_FLAGS_RECURSIVE |
                            AGEN_CHILDREN_FLAGS_REPORT_ERRORS);
  paths = drain_paths (gen, root, &error);
  g_assert_no_error (error);
  g_assert_true (contains (paths, "locked"));
  g_assert_true (contains (paths, "!locked"));
  g_assert_true (contains (paths, "d1/d2/z"));
  g_assert_false (contains (paths, "locked/secret"));
}

static void
test_close_early (Tree          *tree,
                  gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("Closing a walk early, deep inside the tree, closes every "
                  "enumerator (ASan and valgrind see what leaks)");

  make_tree (tree->root);
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("d1/d2/f%u", i);
      touch (tree->root, name);
    }

  for (guint stop = 1; stop <= 8; stop++)
    {
      g_autoptr(AgenGenerator) gen = agen_file_children (root, G_FILE_ATTRIBUTE_STANDARD_NAME, 0,
                                                         AGEN_CHILDREN_FLAGS_RECURSIVE);

      for (guint i = 0; i < stop; i++)
        {
          agen_test_next (gen, NULL, &r);
          g_assert_no_error (r.error);
          g_assert_true (r.ok);
        }
      agen_test_close (gen, NULL, &r);
      g_assert_no_error (r.error);
      g_assert_true (r.ok);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      agen_test_assert_finalized (g_steal_pointer (&gen), 5000);
    }
  agen_test_result_clear (&r);
}

static void
test_errors (Tree          *tree,
             gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (tree->root, "missing", NULL);
  g_autoptr(GFile) missing_file = g_file_new_for_path (missing);
  g_autoptr(GFile) regular = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autofree char *path = g_build_filename (tree->root, "regular", NULL);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("A directory that does not exist, or is a file: the first "
                  "step fails with GIO's error, once");

  gen = agen_file_children (missing_file, "standard::name", 0, AGEN_CHILDREN_FLAGS_NONE);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_clear_object (&gen);

  touch (tree->root, "regular");
  regular = g_file_new_for_path (path);
  gen = agen_file_children (regular, "standard::name", 0,
                            AGEN_CHILDREN_FLAGS_RECURSIVE | AGEN_CHILDREN_FLAGS_REPORT_ERRORS);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  agen_test_result_clear (&r);
}

static void
test_cancelled (Tree          *tree,
                gconstpointer  data)
{
  g_autoptr(GFile) root = g_file_new_for_path (tree->root);
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("Cancelling the step that opens the directory fails it "
                  "with CANCELLED");

  make_tree (tree->root);
  gen = agen_file_children (root, "standard::name", 0, AGEN_CHILDREN_FLAGS_RECURSIVE);
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  agen_test_result_clear (&r);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add ("/Agen/Gio/Children/" path, Tree, data, tree_setup, func, tree_teardown)

  ADD ("flat", test_flat, NULL);
  ADD ("recursive", test_recursive, NULL);
  ADD ("recursive-depth", test_recursive_depth, NULL);
  ADD ("recursive-unreadable", test_recursive_unreadable, GINT_TO_POINTER (FALSE));
  ADD ("recursive-unreadable-reported", test_recursive_unreadable, GINT_TO_POINTER (TRUE));
  ADD ("recursive-permission", test_recursive_permission, NULL);
  ADD ("close-early", test_close_early, NULL);
  ADD ("errors", test_errors, NULL);
  ADD ("cancelled", test_cancelled, NULL);

#undef ADD

  return g_test_run ();
}
