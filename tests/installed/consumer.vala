/* consumer.vala — a third-party Vala program written only against the
 * installed agen-1.vapi, built by test-installed.sh with
 * `valac --vapidir=PREFIX/share/vala/vapi --pkg agen-1` (and pkg-config
 * for the C side) against an installed copy of the library.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

int main () {
    // A body in Vala, on a fiber: yields 1, 2, 3, returns their sum.
    var gen = new Agen.Generator ((self) => {
        int sum = 0;
        for (int i = 1; i <= 3; i++) {
            self.yield (i);
            sum += i;
        }
        self.set_return_value (sum);
        return true;
    });

    // The blocking consumer: iterates the default main context meanwhile.
    try {
        Value v;
        int n = 0;
        while (gen.next (null, out v))
            n += (int) v;

        Value sum;
        bool returned = gen.get_return_value (out sum);
        if (n != 6 || !returned || (int) sum != 6 ||
            gen.get_state () != Agen.GeneratorState.CLOSED) {
            printerr ("consumer.vala: unexpected result (%d)\n", n);
            return 1;
        }
    } catch (Error e) {
        printerr ("consumer.vala: %s\n", e.message);
        return 1;
    }

    print ("consumer.vala: sum 6, version %d.%d.%d\n",
           Agen.MAJOR_VERSION, Agen.MINOR_VERSION, Agen.MICRO_VERSION);
    return 0;
}
