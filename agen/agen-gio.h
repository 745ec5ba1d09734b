/* agen-gio.h — generators over GIO: streams, directories, list models,
 * signals, sockets and subprocesses
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AGEN_INSIDE) && !defined(AGEN_COMPILATION)
# error "Only <agen.h> can be included directly."
#endif

#include <gio/gio.h>

#include "agen-generator.h"
#include "agen-version-macros.h"

G_BEGIN_DECLS

/**
 * AgenStreamFlags:
 * @AGEN_STREAM_FLAGS_NONE: lines are UTF-8 strings; the stream is closed
 *   when the generator ends
 * @AGEN_STREAM_FLAGS_RAW: lines are [struct@GLib.Bytes] and are not
 *   checked for UTF-8
 * @AGEN_STREAM_FLAGS_KEEP_OPEN: leave the stream open when the generator
 *   ends (it is closed by default, as [class@Gio.DataInputStream] closes its
 *   base stream)
 *
 * Options of the stream adapters: [func@input_stream_lines],
 * [func@input_stream_chunks], [func@file_lines] and
 * [func@subprocess_lines].
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  AGEN_STREAM_FLAGS_NONE      = 0,
  AGEN_STREAM_FLAGS_RAW       = 1 << 0,
  AGEN_STREAM_FLAGS_KEEP_OPEN = 1 << 1,
} AgenStreamFlags;

/**
 * AgenChildrenFlags:
 * @AGEN_CHILDREN_FLAGS_NONE: the directory's own children only; any error
 *   ends the iteration
 * @AGEN_CHILDREN_FLAGS_RECURSIVE: walk the whole tree, depth first: each
 *   directory's info comes right before its contents
 * @AGEN_CHILDREN_FLAGS_REPORT_ERRORS: with %AGEN_CHILDREN_FLAGS_RECURSIVE,
 *   a subdirectory that cannot be read is reported by an info of its own
 *   carrying the `agen::error` attribute, and the walk goes on
 *
 * Options of [func@file_children].
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  AGEN_CHILDREN_FLAGS_NONE          = 0,
  AGEN_CHILDREN_FLAGS_RECURSIVE     = 1 << 0,
  AGEN_CHILDREN_FLAGS_REPORT_ERRORS = 1 << 1,
} AgenChildrenFlags;

/**
 * AgenOverflowPolicy:
 * @AGEN_OVERFLOW_DROP_OLDEST: drop the oldest buffered emission to make room
 *   for the new one
 * @AGEN_OVERFLOW_DROP_NEWEST: drop the new emission, keeping the buffer
 * @AGEN_OVERFLOW_ERROR: drop the new emission and fail the generator with
 *   %G_IO_ERROR_NO_SPACE once the buffered emissions have been consumed
 *
 * What [func@signal_emissions] does with an emission that finds its buffer
 * full.
 *
 * Since: 0.1
 */
typedef enum
{
  AGEN_OVERFLOW_DROP_OLDEST,
  AGEN_OVERFLOW_DROP_NEWEST,
  AGEN_OVERFLOW_ERROR,
} AgenOverflowPolicy;

/**
 * AGEN_FILE_ATTRIBUTE_PARENT:
 *
 * The [class@Gio.FileInfo] attribute (an object, a [iface@Gio.File]) that
 * [func@file_children] sets, in a recursive walk, to the directory that
 * holds the file.
 *
 * Since: 0.1
 */
#define AGEN_FILE_ATTRIBUTE_PARENT "agen::parent"

/**
 * AGEN_FILE_ATTRIBUTE_DEPTH:
 *
 * The [class@Gio.FileInfo] attribute (a `guint32`) that
 * [func@file_children] sets, in a recursive walk, to the depth of the file
 * below the walked directory: 0 for its children.
 *
 * Since: 0.1
 */
#define AGEN_FILE_ATTRIBUTE_DEPTH "agen::depth"

/**
 * AGEN_FILE_ATTRIBUTE_ERROR:
 *
 * The [class@Gio.FileInfo] attribute (a string) that [func@file_children]
 * sets, with %AGEN_CHILDREN_FLAGS_REPORT_ERRORS, on the info that reports a
 * subdirectory it could not read: the error's message.
 *
 * Since: 0.1
 */
#define AGEN_FILE_ATTRIBUTE_ERROR "agen::error"

AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_input_stream_lines   (GInputStream        *stream,
                                          AgenStreamFlags      flags,
                                          gsize                max_line_length) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_input_stream_chunks  (GInputStream        *stream,
                                          AgenStreamFlags      flags,
                                          gsize                chunk_size) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_file_lines           (GFile               *file,
                                          AgenStreamFlags      flags,
                                          gsize                max_line_length) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_subprocess_lines     (GSubprocess         *subprocess,
                                          AgenStreamFlags      flags,
                                          gsize                max_line_length) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_file_children        (GFile               *directory,
                                          const char          *attributes,
                                          GFileQueryInfoFlags  query_flags,
                                          AgenChildrenFlags    flags) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_list_model_items     (GListModel          *model) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_signal_emissions     (GObject             *instance,
                                          const char          *detailed_signal,
                                          guint                max_buffered,
                                          AgenOverflowPolicy   policy) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_socket_listener_connections (GSocketListener *listener) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
