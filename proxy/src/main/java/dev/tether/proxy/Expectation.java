package dev.tether.proxy;

/**
 * What the response side needs to know of a request the engine has yet to answer.
 *
 * @param headRequest the answer has a head only, whatever its framing says
 * @param mayHijack the engine may answer with a raw stream (attach, exec start, an Upgrade)
 * @param create set for a labelled create: its answer carries the new container's id
 */
record Expectation(boolean headRequest, boolean mayHijack, CreateInterceptor.PendingCreate create) {

    static Expectation of(RequestHead request, Route route) {
        return new Expectation(request.isHead(), route == Route.HIJACK, null);
    }

    static Expectation created(CreateInterceptor.PendingCreate create) {
        return new Expectation(false, false, create);
    }
}
