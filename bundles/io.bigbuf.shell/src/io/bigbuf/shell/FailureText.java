package io.bigbuf.shell;

/** The user-facing line of an SCR failure text ({@code ComponentConfigurationDTO.failure}, a stack trace). */
final class FailureText {

    private FailureText() {
    }

    /**
     * The first message in the failure text: the component's own words, not the reflection
     * wrapper around them or the low-level cause below them.
     */
    static String reason(String failure) {
        if (failure == null || failure.isBlank()) {
            return "activation failed";
        }
        return failure.lines()
                .map(l -> l.startsWith("Caused by: ") ? l.substring("Caused by: ".length()) : l)
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(FailureText::messageOf)
                .filter(m -> !m.isEmpty())
                .findFirst().orElse("activation failed");
    }

    /** "java.lang.IllegalArgumentException: text" -> "text"; "" for a header without a message. */
    private static String messageOf(String header) {
        int colon = header.indexOf(": ");
        String type = colon > 0 ? header.substring(0, colon) : header;
        if (!type.matches("[\\w.$]+")) {
            return header;
        }
        return colon > 0 ? header.substring(colon + 2).trim() : "";
    }
}
