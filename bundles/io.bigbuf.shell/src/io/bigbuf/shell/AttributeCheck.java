package io.bigbuf.shell;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.PciAddress;
import java.util.Arrays;
import java.util.Locale;
import org.osgi.service.metatype.AttributeDefinition;

/**
 * Whether a value typed at the prompt fits a Metatype attribute, before it is stored: a value the
 * component cannot convert would otherwise only show at activation, after the backend has been
 * restarted and its buffers closed.
 *
 * <p>Besides the Metatype type, options and (through {@link AttributeDefinition#validate}) the
 * min/max limits, bigbuf attributes follow two naming rules for string values with a syntax of
 * their own: an id ending in {@code .size} or {@code .base} holds a byte size or address in
 * {@link ByteSize} syntax ({@code 64M}, {@code 0x100000000}); an id starting with {@code pci.}
 * holds comma-separated PCI addresses ({@code 0000:00:04.0}).
 */
final class AttributeCheck {

    private AttributeCheck() {
    }

    /**
     * The value to store for {@code text}: as typed, or the option's own spelling when the
     * attribute has options and the text names one in other letter case.
     *
     * @throws IllegalArgumentException one line: "KEY: 'TEXT' is not ..."
     */
    static String check(AttributeDefinition ad, String text) {
        String key = ad.getID();
        String value = text.strip();
        String problem = syntaxProblem(ad, value);
        if (problem != null) {
            throw new IllegalArgumentException(key + ": '" + text + "' " + problem);
        }
        String[] options = ad.getOptionValues();
        if (options != null && options.length > 0) {
            value = Arrays.stream(options).filter(value::equalsIgnoreCase).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(key + ": '" + text + "' is not one of "
                            + String.join(", ", options)));
        }
        String verdict = ad.validate(value);
        if (verdict != null && !verdict.isEmpty()) {
            throw new IllegalArgumentException(key + ": '" + text + "' " + describe(verdict, ad, value));
        }
        return value;
    }

    /** null when {@code value} reads as the attribute's type, else what is wrong with it. */
    private static String syntaxProblem(AttributeDefinition ad, String value) {
        try {
            switch (ad.getType()) {
                case AttributeDefinition.INTEGER -> Integer.parseInt(value);
                case AttributeDefinition.LONG -> Long.parseLong(value);
                case AttributeDefinition.SHORT -> Short.parseShort(value);
                case AttributeDefinition.BYTE -> Byte.parseByte(value);
                case AttributeDefinition.DOUBLE -> Double.parseDouble(value);
                case AttributeDefinition.FLOAT -> Float.parseFloat(value);
                case AttributeDefinition.BOOLEAN -> {
                    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                        return "is not true or false";
                    }
                }
                case AttributeDefinition.CHARACTER -> {
                    if (value.length() != 1) {
                        return "is not a single character";
                    }
                }
                default -> {
                    return stringProblem(ad.getID(), value);
                }
            }
            return null;
        } catch (NumberFormatException e) {
            return "is not " + typeName(ad.getType());
        }
    }

    private static String stringProblem(String key, String value) {
        try {
            if (key.endsWith(".size") || key.endsWith(".base")) {
                ByteSize.parse(value);
            } else if (key.startsWith("pci.")) {
                for (String item : value.split(",")) {
                    try {
                        if (!item.isBlank()) {
                            PciAddress.parse(item);
                        }
                    } catch (IllegalArgumentException e) {
                        return "contains " + e.getMessage().replaceFirst("' is not", "', which is not");
                    }
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            // ByteSize names the text first ("'lots' is not a size; ..."): keep their reason only.
            String message = e.getMessage();
            int quoteEnd = message.startsWith("'") ? message.indexOf("' ", 1) : -1;
            return quoteEnd > 0 ? message.substring(quoteEnd + 2) : "is not valid: " + message;
        }
    }

    private static String typeName(int type) {
        return switch (type) {
            case AttributeDefinition.INTEGER, AttributeDefinition.SHORT, AttributeDefinition.BYTE,
                    AttributeDefinition.LONG -> "a whole number";
            default -> "a number";
        };
    }

    /** Felix Metatype answers with untranslated keys such as "%greater than maximum". */
    private static String describe(String verdict, AttributeDefinition ad, String value) {
        String reason = verdict.startsWith("%") ? verdict.substring(1) : verdict;
        return switch (reason.toLowerCase(Locale.ROOT)) {
            case "greater than maximum" -> "is greater than the maximum" + limit(ad, value, true);
            case "less than minimum" -> "is less than the minimum" + limit(ad, value, false);
            case "missing required value" -> "is empty, and a value is required";
            case "not a valid option" -> "is not one of " + String.join(", ", ad.getOptionValues());
            default -> "is not valid (" + reason + ")";
        };
    }

    /**
     * " N": the attribute's maximum (or minimum) for a whole-number attribute, "" for others. The
     * Metatype API only answers whether a value is valid, so the limit is found by bisection
     * between {@code value}, which is out of range, and the far end of the type's range.
     */
    private static String limit(AttributeDefinition ad, String value, boolean maximum) {
        long[] range = switch (ad.getType()) {
            case AttributeDefinition.INTEGER -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            case AttributeDefinition.LONG -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
            case AttributeDefinition.SHORT -> new long[] {Short.MIN_VALUE, Short.MAX_VALUE};
            case AttributeDefinition.BYTE -> new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
            default -> null;
        };
        if (range == null) {
            return "";
        }
        long bad = Long.parseLong(value);
        long good = maximum ? range[0] : range[1];
        if (!inRange(ad, good, maximum)) {
            return "";
        }
        while (maximum ? bad - good > 1 : good - bad > 1) {
            long middle = good + (bad - good) / 2;
            if (inRange(ad, middle, maximum)) {
                good = middle;
            } else {
                bad = middle;
            }
        }
        return " " + good;
    }

    /** Whether {@code v} is not beyond the maximum (or minimum) of the attribute. */
    private static boolean inRange(AttributeDefinition ad, long v, boolean maximum) {
        String verdict = ad.validate(Long.toString(v));
        return verdict == null || !verdict.endsWith(maximum ? "greater than maximum" : "less than minimum");
    }
}
