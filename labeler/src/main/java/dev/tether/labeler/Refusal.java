package dev.tether.labeler;

/**
 * Ends reading a create body that tether cannot read exactly as the engine would; the message is the reason shown
 * to the user, so it says what was wrong and what to do.
 */
final class Refusal extends RuntimeException {

    Refusal(String reason) {
        super(reason, null, false, false);
    }
}
