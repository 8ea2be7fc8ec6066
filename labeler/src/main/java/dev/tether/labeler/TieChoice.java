package dev.tether.labeler;

/**
 * A tie and the rule that chose it, in words a user reads in the log, the journal and {@code tether why}:
 * {@code tie=owner: an SDK client (python3.11) created a detached container without a restart policy}.
 */
public record TieChoice(Tie tie, String why) {

    @Override
    public String toString() {
        return "tie=" + tie.label() + ": " + why;
    }
}
