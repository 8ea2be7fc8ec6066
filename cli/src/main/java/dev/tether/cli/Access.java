package dev.tether.cli;

import dev.tether.proxy.AllowedUids;
import dev.tether.proxy.TcpListen;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Who may use tether: {@code tether up}'s {@code --allow-uid}, {@code --tcp} and TLS options, read into settings. */
final class Access {

    private Access() {}

    static AllowedUids allowedUids(List<Integer> allowUids) {
        return new AllowedUids(allowUids == null ? Set.of() : Set.copyOf(allowUids));
    }

    static Optional<TcpListen> tcp(String tcp, Path cert, Path key, Path ca) {
        Optional<TcpListen.Tls> tls = tls(cert, key, ca);
        if (tcp != null) {
            return Optional.of(TcpListen.parse(tcp, tls));
        }
        if (tls.isPresent()) {
            throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca secure --tcp; give --tcp HOST:PORT too");
        }
        return Optional.empty();
    }

    private static Optional<TcpListen.Tls> tls(Path cert, Path key, Path ca) {
        if (cert == null && key == null && ca == null) {
            return Optional.empty();
        }
        if (cert == null || key == null || ca == null) {
            throw new IllegalArgumentException("TLS on --tcp needs all of --tls-cert, --tls-key and --tls-ca (the CA"
                    + " that signs client certificates: tether requires one from every client)");
        }
        return Optional.of(new TcpListen.Tls(cert.toAbsolutePath(), key.toAbsolutePath(), ca.toAbsolutePath()));
    }
}
