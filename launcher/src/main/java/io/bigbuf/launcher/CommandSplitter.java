package io.bigbuf.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits {@code "bigbuf:alloc 64M; bigbuf:list"} into statements so that each one's result is
 * printed (Gogo itself only returns the last value of a multi-statement line). Separators inside
 * single or double quotes or braces ({@code { ... }} closures) are kept.
 */
final class CommandSplitter {

    private CommandSplitter() {
    }

    static List<String> split(String line) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        int depth = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '{' || c == '(' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ')' || c == ']') && depth > 0) {
                depth--;
            } else if ((c == ';' || c == '\n') && depth == 0) {
                add(statements, current);
                continue;
            }
            current.append(c);
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unterminated " + quote + " quote in: " + line);
        }
        add(statements, current);
        return statements;
    }

    private static void add(List<String> statements, StringBuilder current) {
        String statement = current.toString().strip();
        if (!statement.isEmpty()) {
            statements.add(statement);
        }
        current.setLength(0);
    }
}
