/* agen-values.c — typed yields and reads: agen without GValue boilerplate
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A body yields an int, a string or an object in one call, and a consumer
 * reads one back the same way, where [method@Generator.yield] and
 * [method@Generator.next] take a [struct@GObject.Value]:
 *
 * ```c
 * static gboolean
 * countdown (AgenGenerator *self, gpointer user_data, GError **error)
 * {
 *   for (int i = GPOINTER_TO_INT (user_data); i > 0; i--)
 *     if (!agen_generator_yield_int (self, i, error))
 *       return FALSE;
 *   return TRUE;
 * }
 *
 * int n;
 * while (agen_generator_next_int (gen, NULL, &n, &error))
 *   g_print ("%d\n", n);
 * ```
 *
 * They are C conveniences, left out of the introspection data (bindings
 * have their own values); docs/c-api.md lists them for the reference.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-generator-impl-private.h"
#include "agen-values.h"

/* Body side -------------------------------------------------------------- */

/**
 * agen_generator_yield_int: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_INT` value, like [method@Generator.yield]
 * without the sent value: a value sent in is dropped.
 *
 * Returns: %TRUE when resumed by a next or send; %FALSE with @error set
 *   to the error thrown in, or to %AGEN_ERROR_EXIT for a close: the body
 *   should then clean up and return %FALSE
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_int (AgenGenerator  *self,
                          int             v,
                          GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_int()", error);
}

/**
 * agen_generator_yield_uint: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_UINT` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_uint (AgenGenerator  *self,
                           guint           v,
                           GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_uint()", error);
}

/**
 * agen_generator_yield_int64: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_INT64` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_int64 (AgenGenerator  *self,
                            gint64          v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_int64()", error);
}

/**
 * agen_generator_yield_double: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_DOUBLE` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_double (AgenGenerator  *self,
                             double          v,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_DOUBLE);
  g_value_set_double (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_double()", error);
}

/**
 * agen_generator_yield_boolean: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_BOOLEAN` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_boolean (AgenGenerator  *self,
                              gboolean        v,
                              GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_BOOLEAN);
  g_value_set_boolean (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_boolean()", error);
}

/**
 * agen_generator_yield_string: (skip)
 * @self: the generator whose body is calling
 * @v: (nullable): the string, copied
 * @error: return location for the error thrown in
 *
 * Yields a copy of @v as a `G_TYPE_STRING` value; see
 * [method@Generator.yield_int]. [method@Generator.take_string] saves the
 * copy.
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_string (AgenGenerator  *self,
                             const char     *v,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_string()", error);
}

/**
 * agen_generator_take_string: (skip)
 * @self: the generator whose body is calling
 * @v: (nullable) (transfer full): the string, which the generator takes
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_STRING` value and takes ownership of it, also
 * when the yield fails: `agen_generator_take_string (self,
 * g_strdup_printf (…), error)` copies nothing.
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_take_string (AgenGenerator  *self,
                            char           *v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_take_string()", error);
}

/**
 * agen_generator_yield_object: (skip)
 * @self: the generator whose body is calling
 * @v: (type GObject) (nullable): the object; %NULL yields None
 * @error: return location for the error thrown in
 *
 * Yields @v, with a reference of its own, as a value of @v's own type
 * (so a consumer can check for it with `G_VALUE_HOLDS`); see
 * [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_object (AgenGenerator  *self,
                             gpointer        v,
                             GError        **error)
{
  g_return_val_if_fail (v == NULL || G_IS_OBJECT (v), FALSE);

  return agen_generator_take_object (self, v != NULL ? g_object_ref (v) : NULL, error);
}

/**
 * agen_generator_take_object: (skip)
 * @self: the generator whose body is calling
 * @v: (type GObject) (nullable) (transfer full): the object, whose
 *   reference the generator takes; %NULL yields None
 * @error: return location for the error thrown in
 *
 * Yields @v as [method@Generator.yield_object] does, taking the caller's
 * reference, also when the yield fails.
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_take_object (AgenGenerator  *self,
                            gpointer        v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (v == NULL || G_IS_OBJECT (v), FALSE);

  if (v == NULL)
    {
      g_value_init (&value, G_TYPE_POINTER);
    }
  else
    {
      g_value_init (&value, G_OBJECT_TYPE (v));
      g_value_take_object (&value, v);
    }
  return agen_generator_yield_value_take (self, &value, "agen_generator_take_object()", error);
}

/**
 * agen_generator_yield_boxed: (skip)
 * @self: the generator whose body is calling
 * @boxed_type: a boxed type
 * @v: (nullable): the boxed value, copied with g_boxed_copy()
 * @error: return location for the error thrown in
 *
 * Yields a copy of @v as a value of @boxed_type; see
 * [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_boxed (AgenGenerator  *self,
                            GType           boxed_type,
                            gconstpointer   v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (G_TYPE_IS_BOXED (boxed_type), FALSE);

  g_value_init (&value, boxed_type);
  g_value_set_boxed (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_boxed()", error);
}

/**
 * agen_generator_yield_pointer: (skip)
 * @self: the generator whose body is calling
 * @v: (nullable): the pointer; %NULL yields None
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_POINTER` value; what it points to stays the
 * body's to keep alive. See [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_pointer (AgenGenerator  *self,
                              gpointer        v,
                              GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_POINTER);
  g_value_set_pointer (&value, v);
  return agen_generator_yield_value_take (self, &value, "agen_generator_yield_pointer()", error);
}

/* Consumer side ---------------------------------------------------------- */

static gboolean
is_number_type (GType type)
{
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_CHAR:
    case G_TYPE_UCHAR:
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The blocking next, its value checked against want. TRUE: *value holds
 * a want (transformed from another number type if need be), or None where
 * none_ok. */
static gboolean
next_typed (AgenGenerator  *self,
            GCancellable   *cancellable,
            GType           want,
            gboolean        none_ok,
            GValue         *value,
            GError        **error)
{
  GValue got = G_VALUE_INIT;

  if (!agen_generator_next (self, cancellable, &got, error))
    {
      g_value_unset (&got);
      return FALSE;
    }

  if (G_VALUE_HOLDS (&got, want) || (none_ok && agen_value_is_none (&got)))
    {
      *value = got;
      return TRUE;
    }

  if (is_number_type (want) && is_number_type (G_VALUE_TYPE (&got)))
    {
      g_value_init (value, want);
      if (g_value_transform (&got, value))
        {
          g_value_unset (&got);
          return TRUE;
        }
      g_value_unset (value);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("Generator “%s” yielded a value of type %s where %s was expected"),
               agen_generator_display_name (self),
               G_VALUE_TYPE_NAME (&got), g_type_name (want));
  g_value_unset (&got);
  return FALSE;
}

/**
 * agen_generator_next_int: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * The blocking [method@Generator.next], for a generator that yields
 * ints: no [struct@GObject.Value] to initialise and unset. A yielded
 * number of another type is converted, as g_value_transform() does; any
 * other value fails with %G_IO_ERROR_INVALID_DATA (the item is lost).
 *
 * ```c
 * int n;
 *
 * while (agen_generator_next_int (gen, NULL, &n, &error))
 *   total += n;
 * if (error != NULL)
 *   …
 * ```
 *
 * Returns: %TRUE with @out set; %FALSE with no error when the generator
 *   has finished; %FALSE with @error set when it raised or yielded
 *   something else
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_int (AgenGenerator  *self,
                         GCancellable   *cancellable,
                         int            *out,
                         GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_INT, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_int (&value);
  return TRUE;
}

/**
 * agen_generator_next_uint: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `guint`.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_uint (AgenGenerator  *self,
                          GCancellable   *cancellable,
                          guint          *out,
                          GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_UINT, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_uint (&value);
  return TRUE;
}

/**
 * agen_generator_next_int64: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `gint64`.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_int64 (AgenGenerator  *self,
                           GCancellable   *cancellable,
                           gint64         *out,
                           GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_INT64, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_int64 (&value);
  return TRUE;
}

/**
 * agen_generator_next_double: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `double`.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_double (AgenGenerator  *self,
                            GCancellable   *cancellable,
                            double         *out,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_DOUBLE, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_double (&value);
  return TRUE;
}

/**
 * agen_generator_next_boolean: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; %FALSE when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `gboolean`; only boolean values are
 * accepted.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_boolean (AgenGenerator  *self,
                             GCancellable   *cancellable,
                             gboolean       *out,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = FALSE;
  if (!next_typed (self, cancellable, G_TYPE_BOOLEAN, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_boolean (&value);
  return TRUE;
}

/**
 * agen_generator_next_string: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out) (transfer full) (nullable): return location for the string,
 *   freed with g_free(); %NULL when there is none, and for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for strings. None reads as %NULL.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_string (AgenGenerator  *self,
                            GCancellable   *cancellable,
                            char          **out,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, G_TYPE_STRING, TRUE, &value, error))
    return FALSE;
  if (G_VALUE_HOLDS_STRING (&value))
    *out = g_value_dup_string (&value);
  g_value_unset (&value);
  return TRUE;
}

/**
 * agen_generator_next_object: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out) (transfer full) (nullable) (type GObject): return location
 *   for the object, with a reference for the caller; %NULL when there is
 *   none, and for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for objects (of any class). None reads as
 * %NULL.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_object (AgenGenerator  *self,
                            GCancellable   *cancellable,
                            gpointer       *out,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, G_TYPE_OBJECT, TRUE, &value, error))
    return FALSE;
  if (G_VALUE_HOLDS_OBJECT (&value))
    *out = g_value_dup_object (&value);
  g_value_unset (&value);
  return TRUE;
}

/**
 * agen_generator_next_boxed: (skip)
 * @self: a generator
 * @boxed_type: the boxed type expected
 * @cancellable: (nullable): a cancellable
 * @out: (out) (transfer full) (nullable): return location for a copy of
 *   the value, freed with g_boxed_free(); %NULL when there is none, and
 *   for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for a boxed type. None reads as %NULL.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_boxed (AgenGenerator  *self,
                           GType           boxed_type,
                           GCancellable   *cancellable,
                           gpointer       *out,
                           GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (G_TYPE_IS_BOXED (boxed_type), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, boxed_type, TRUE, &value, error))
    return FALSE;
  if (G_VALUE_HOLDS (&value, boxed_type))
    *out = g_value_dup_boxed (&value);
  g_value_unset (&value);
  return TRUE;
}

/**
 * agen_generator_next_pointer: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out) (nullable): return location for the pointer; %NULL when
 *   there is none, and for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `G_TYPE_POINTER` values.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_pointer (AgenGenerator  *self,
                             GCancellable   *cancellable,
                             gpointer       *out,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, G_TYPE_POINTER, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_pointer (&value);
  g_value_unset (&value);
  return TRUE;
}
