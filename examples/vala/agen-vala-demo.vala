/* agen-vala-demo.vala — agen from Vala, through agen-1.vapi
 *
 * Usage: agen-vala-demo FILE
 *
 *   (a) a generator whose body is a Vala lambda: it reads FILE with GIO,
 *       awaiting each read, and yields the lines; another one delegates to
 *       it with yield_from;
 *   (b) an async Vala method that consumes them with
 *       `while (yield gen.next_async (null, out v))`;
 *   (c) Agen.ContextManager, entered and left with the async forms (from
 *       an async method) and the blocking ones (from main);
 *   (d) a driven generator, whose step function answers from the main
 *       loop, consumed the same way as (a), then closed early.
 *
 * The output depends on nothing but FILE's name and contents: the tests
 * in examples/vala/meson.build run it on agen-vala-demo.txt and compare
 * the output with agen-vala-demo.expected. Exit status: 0, or 1 with a
 * message on stderr if anything failed.
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Awaiting a GIO call inside a body, which runs on a fiber of its own, so
 * that it awaits in straight-line code, in three steps (the Vala spelling
 * of C's AGEN_AWAIT_CALLBACK (gen) and agen_generator_await (gen), see
 * agen/agen-generator.h):
 *
 *   1. gen.prepare_await () announces one result, and keeps gen alive
 *      until it arrives;
 *   2. the _async call is started with .begin, its callback a lambda that
 *      hands the result to Agen.Generator.resume_callback (obj, res, gen);
 *   3. gen.await () suspends the body (its fiber, never the thread) until
 *      that result comes, and returns it for the call's .end.
 *
 * Vala's own `yield` is for Vala async methods, which a body is not. And
 * the awaiting can be done in plain functions like these, called from the
 * body: the whole fiber is suspended, whatever is on its stack.
 *
 * Step 2 takes a lambda because resume_callback needs gen, the user data
 * of the C callback, and a Vala callback's user data is what it captures;
 * valac releases that after the call. The lambda could as well be written
 * inline in the body, but valac's C for a lambda nested in another one
 * sets a variable it never uses, which C compilers warn about: hence these
 * functions.
 */
InputStream open_file (Agen.Generator gen, File file) throws Error {
    gen.prepare_await ();
    file.read_async.begin (Priority.DEFAULT, gen.get_cancellable (),
                           (obj, res) => Agen.Generator.resume_callback (obj, res, gen));
    return file.read_async.end (gen.await ());
}

string? read_line (Agen.Generator gen, DataInputStream stream) throws Error {
    gen.prepare_await ();
    stream.read_line_async.begin (Priority.DEFAULT, gen.get_cancellable (),
                                  (obj, res) => Agen.Generator.resume_callback (obj, res, gen));
    return stream.read_line_async.end (gen.await (), null);
}

void delete_file (Agen.Generator gen, File file) throws Error {
    gen.prepare_await ();
    file.delete_async.begin (Priority.DEFAULT, gen.get_cancellable (),
                             (obj, res) => Agen.Generator.resume_callback (obj, res, gen));
    file.delete_async.end (gen.await ());
}

/* (a) The lines of a file, read one at a time as the consumer asks for
 * them. The body is a lambda: new Agen.Generator takes any
 * Agen.GeneratorFunc. */
Agen.Generator lines_of (File file) {
    return new Agen.Generator ((gen) => {
        var stream = new DataInputStream (open_file (gen, file));
        uint count = 0;
        string? line;

        while ((line = read_line (gen, stream)) != null) {
            // Suspends the body until the consumer asks for the next value.
            // Throws Agen.Error.EXIT when the consumer closes the generator
            // instead: the error leaves the lambda, which ends the body.
            gen.yield (line);
            count++;
        }

        // What yield_from hands back to a delegating generator.
        gen.set_return_value (count);
        return true;
    });
}

/* A title, then everything `inner` yields (Python's `yield from`); returns
 * what `inner` returned. */
Agen.Generator titled (string title, Agen.Generator inner) {
    return new Agen.Generator ((gen) => {
        gen.yield ("==> %s <==".printf (title));

        Value count;
        gen.yield_from (inner, out count);
        gen.set_return_value (count);
        return true;
    });
}

/* (d) A driven generator: its body is a step function, called on the
 * thread's own stack for each operation that reaches the body. This is how
 * a binding turns its own coroutines into generators. A step may answer
 * inside its call or later, as a coroutine that awaited something would:
 * this one answers each value from a later main-loop iteration. */
void answer_later (Agen.Generator gen, int value) {
    Idle.add (() => {
        gen.answer_yield (value);
        return Source.REMOVE;
    });
}

Agen.Generator countdown (int from) {
    int n = from;

    return new Agen.Generator.driven ((gen, kind, value, thrown, cancellable) => {
        switch (kind) {
        case Agen.StepKind.NEXT:
        case Agen.StepKind.SEND:
            if (n > 0)
                answer_later (gen, n--);
            else
                gen.answer_return ("liftoff");
            return true;
        case Agen.StepKind.THROW:
        case Agen.StepKind.CLOSE:
            // Let the error out, which ends the body (for a close, thrown
            // is Agen.Error.EXIT, and then the close succeeds).
            print ("  countdown: %s at %d\n", kind == Agen.StepKind.CLOSE ? "closed" : "thrown into", n);
            gen.answer_error (thrown);
            return true;
        default:
            assert_not_reached ();
        }
    });
}

/* (c) A context manager (Python's @asynccontextmanager): the body's code
 * before its yield enters, the code after it leaves. This one gives the
 * block a new temporary file, and deletes it when the block is done, however
 * the block ends: the cleanup awaits, as a body may anywhere. */
Agen.ContextManager temporary_file (string label) {
    return new Agen.ContextManager ((gen) => {
        FileIOStream io;
        var file = File.new_tmp ("agen-vala-demo-XXXXXX", out io);
        io.close ();
        print ("  %s: created\n", label);

        try {
            gen.yield (file);    // what enter gives the block
        } catch (IOError e) {
            // The block failed with an I/O error: handled, so the exit
            // succeeds (Python's __aexit__ returning True). Other errors
            // go on after the finally block.
            print ("  %s: the block failed (%s); suppressed\n", label, e.message);
        } finally {
            // Vala lets no error out of a finally block.
            try {
                delete_file (gen, file);
                print ("  %s: deleted\n", label);
            } catch (Error e) {
                printerr ("%s: could not delete: %s\n", label, e.message);
            }
        }
        return true;
    });
}

string to_text (Value v) {
    var text = Value (typeof (string));
    v.transform (ref text);
    return text.dup_string ();
}

/* (b) Consumes a generator from an async method: each next_async suspends
 * this method, never the thread. */
async void print_all (Agen.Generator gen, uint limit = uint.MAX) throws Error {
    Value v;
    uint n = 0;

    while (yield gen.next_async (null, out v)) {
        print ("%4u  %s\n", ++n, to_text (v));
        if (n == limit) {
            // Leaving early: close the generator, so its body cleans up.
            yield gen.close_async (null);
            return;
        }
    }

    Value result;
    if (gen.get_return_value (out result))
        print ("  returned %s\n", to_text (result));
}

/* (c), async: enter, the block, and exit with the block's error if it
 * failed (Python's `async with`). */
async void with_temporary_file (string label, File input, bool fail) throws Error {
    var cm = temporary_file (label);
    Value v;

    yield cm.enter_async (null, out v);
    var file = (File) v;
    try {
        yield input.copy_async (file, FileCopyFlags.OVERWRITE);
        var info = yield file.query_info_async (FileAttribute.STANDARD_SIZE, FileQueryInfoFlags.NONE);
        print ("  block: copied %s there, %d bytes\n", input.get_basename (), (int) info.get_size ());
        if (fail)
            throw new IOError.NO_SPACE ("no space left (pretend)");
    } catch (Error e) {
        // Throws e again unless the body suppresses it.
        yield cm.exit_async (e, null);
        print ("  block: the file is %s\n", file.query_exists () ? "still there" : "gone");
        return;
    }
    yield cm.exit_normally_async (null);
    print ("  block: the file is %s\n", file.query_exists () ? "still there" : "gone");
}

async void run (File file) throws Error {
    print ("(a, b) a lambda body awaiting GIO, consumed by an async method\n");
    yield print_all (titled (file.get_basename (), lines_of (file)));

    print ("(c) a context manager, async\n");
    yield with_temporary_file ("first", file, false);
    yield with_temporary_file ("second", file, true);

    print ("(d) a driven generator\n");
    yield print_all (countdown (3));
    print ("(d) another one, closed after two values\n");
    yield print_all (countdown (5), 2);
}

/* (c), blocking: from plain code these iterate the generator's main
 * context (here the default one) until they are done, and the body's
 * awaits with it. */
void use_temporary_file_blocking () throws Error {
    var cm = temporary_file ("third");
    Value v;

    cm.enter (null, out v);
    var file = (File) v;
    print ("  block: the file is %s\n", file.query_exists () ? "there" : "missing");
    cm.exit_normally ();
    print ("  block: the file is %s\n", file.query_exists () ? "still there" : "gone");
}

int main (string[] args) {
    if (args.length != 2) {
        printerr ("usage: %s FILE\n", args[0]);
        return 2;
    }

    var loop = new MainLoop ();
    Error? failure = null;

    run.begin (File.new_for_commandline_arg (args[1]), (obj, res) => {
        try {
            run.end (res);
        } catch (Error e) {
            failure = e;
        }
        loop.quit ();
    });
    loop.run ();

    if (failure == null) {
        print ("(c) a context manager, blocking\n");
        try {
            use_temporary_file_blocking ();
        } catch (Error e) {
            failure = e;
        }
    }

    if (failure != null) {
        printerr ("agen-vala-demo: %s\n", failure.message);
        return 1;
    }
    return 0;
}
