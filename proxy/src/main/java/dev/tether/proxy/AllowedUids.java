package dev.tether.proxy;

import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The users that may use tether's sockets ({@code --allow-uid}), checked against each connection's peer uid on top
 * of the socket file's mode. Empty: no check beyond the mode. Otherwise tether's own user is always allowed too.
 */
public record AllowedUids(Set<Integer> uids) {

    public static final AllowedUids ANYONE = new AllowedUids(Set.of());

    public AllowedUids {
        uids = Set.copyOf(uids);
    }

    boolean checked() {
        return !uids.isEmpty();
    }

    /** @param uid -1 when tether could not tell who connected */
    boolean admits(int uid, int self) {
        return !checked() || (uid >= 0 && (uid == self || uids.contains(uid)));
    }

    /** The uids that may connect, tether's own included, lowest first. */
    String describe(int self) {
        Set<Integer> all = new TreeSet<>(uids);
        all.add(self);
        return all.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
