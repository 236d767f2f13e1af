package io.bigbuf.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandSplitterTest {

    @Test
    void splitsOnSemicolonsAndNewlines() {
        assertEquals(List.of("bigbuf:alloc 64M", "bigbuf:list", "bigbuf:stats"),
                CommandSplitter.split(" bigbuf:alloc 64M; bigbuf:list\nbigbuf:stats ;; "));
    }

    @Test
    void keepsSeparatorsInsideQuotesAndClosures() {
        assertEquals(List.of("echo 'a;b'", "each [1 2] { echo $it; echo x }", "echo \"c;d\""),
                CommandSplitter.split("echo 'a;b'; each [1 2] { echo $it; echo x }; echo \"c;d\""));
    }

    @Test
    void rejectsUnterminatedQuotes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CommandSplitter.split("bigbuf:alloc 'oops"));
        assertEquals("unterminated ' quote in: bigbuf:alloc 'oops", e.getMessage());
    }

    @Test
    void emptyInputHasNoStatements() {
        assertEquals(List.of(), CommandSplitter.split("  ;  "));
    }
}
