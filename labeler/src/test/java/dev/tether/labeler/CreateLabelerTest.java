package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CreateLabelerTest {

    private static final ProcessId JAVA = new ProcessId(4242, 987654, "/usr/lib/jvm/temurin-25/bin/java");
    private static final ProcessId SHELL = new ProcessId(4000, 900000, "/usr/bin/bash");
    private static final Caller SDK_CLIENT = new Caller(JAVA, SHELL);
    private static final String STDIN_SESSION = "\"AttachStdin\":true,\"OpenStdin\":true";

    private final CreateLabeler labeler = new CreateLabeler("tether-1", "boot-abc", "pid:[4026531836]", Optional.empty());
    private final ObjectMapper mapper = new ObjectMapper();

    @Nested
    class Labels {

        @Test
        void absentLabelsGetTethersOnly() {
            CreateDecision.Forward forward = forward("{\"Image\":\"alpine\"}");

            assertThat(labelsOf(forward)).containsOnly(
                    entry(TetherLabels.OWNER_PID, "4242"),
                    entry(TetherLabels.OWNER_START, "987654"),
                    entry(TetherLabels.OWNER_EXE, "/usr/lib/jvm/temurin-25/bin/java"),
                    entry(TetherLabels.HOST_PID, "4000"),
                    entry(TetherLabels.HOST_START, "900000"),
                    entry(TetherLabels.HOST_EXE, "/usr/bin/bash"),
                    entry(TetherLabels.ANCESTORS, "4000-900000"),
                    entry(TetherLabels.TIE, "owner"),
                    entry(TetherLabels.WHY, SDK_WHY),
                    entry(TetherLabels.INSTANCE, "tether-1"),
                    entry(TetherLabels.BOOT, "boot-abc"),
                    entry(TetherLabels.PID_NAMESPACE, "pid:[4026531836]"));
            assertThat(forward.labels()).isEqualTo(labelsOf(forward));
            assertThat(engineView(forward).get("Image").asText()).isEqualTo("alpine");
        }

        @Test
        void nullLabelsGetTethersOnly() {
            assertThat(labelsOf(forward("{\"Labels\":null}"))).hasSize(12).containsKey(TetherLabels.OWNER_PID);
        }

        @Test
        void clientLabelsAreKeptNextToTethers() {
            Map<String, String> labels = labelsOf(forward("{\"Labels\":{\"com.example\":\"x\",\"empty\":\"\"}}"));

            assertThat(labels).contains(entry("com.example", "x"), entry("empty", ""))
                    .containsEntry(TetherLabels.TIE, "owner");
        }

        @Test
        void lowerCaseKeyIsTheSameField() {
            CreateDecision.Forward forward = forward("{\"labels\":{\"a\":\"1\"}}");

            assertThat(labelsOf(forward)).containsEntry("a", "1").containsEntry(TetherLabels.TIE, "owner");
            assertThat(rootKeys(forward)).containsExactly("Labels");
        }

        @Test
        void escapedKeyIsTheSameField() {
            assertThat(labelsOf(forward("{\"\\u004cabels\":{\"a\":\"1\"}}"))).containsEntry("a", "1");
        }

        @Test
        void repeatedLabelsMerge() {
            CreateDecision.Forward forward =
                    forward("{\"Labels\":{\"a\":\"1\",\"c\":\"1\"},\"labels\":{\"b\":\"2\",\"c\":\"2\"}}");

            assertThat(labelsOf(forward)).contains(entry("a", "1"), entry("b", "2"), entry("c", "2")).hasSize(15);
            assertThat(rootKeys(forward)).containsExactly("Labels");
        }

        @Test
        void laterNullEmptiesLabels() {
            Map<String, String> labels = labelsOf(forward("{\"Labels\":{\"a\":\"1\"},\"labels\":null}"));

            assertThat(labels).doesNotContainKey("a").hasSize(12);
        }

        @Test
        void labelsAfterNullStartAfresh() {
            Map<String, String> labels =
                    labelsOf(forward("{\"Labels\":{\"a\":\"1\"},\"LABELS\":null,\"Labels\":{\"b\":\"2\"}}"));

            assertThat(labels).doesNotContainKey("a").containsEntry("b", "2");
        }

        @Test
        void labelKeysAreCaseSensitive() {
            assertThat(labelsOf(forward("{\"Labels\":{\"a\":\"1\",\"A\":\"2\"}}")))
                    .contains(entry("a", "1"), entry("A", "2"));
        }

        @Test
        void clientCannotClaimAnotherOwner() {
            CreateDecision.Forward forward = forward("{\"Labels\":{\"dev.tether.owner.pid\":\"1\","
                    + "\"dev.tether.owner.start\":\"2\",\"dev.tether.instance\":\"other\"},"
                    + "\"labels\":{\"dev.tether.host.pid\":\"3\",\"dev.tether.note\":\"mine\"}}");

            assertThat(labelsOf(forward)).contains(
                    entry(TetherLabels.OWNER_PID, "4242"),
                    entry(TetherLabels.OWNER_START, "987654"),
                    entry(TetherLabels.HOST_PID, "4000"),
                    entry(TetherLabels.INSTANCE, "tether-1"),
                    entry("dev.tether.note", "mine"));
            assertThat(forward.labels()).containsEntry("dev.tether.note", "mine")
                    .containsEntry(TetherLabels.OWNER_PID, "4242");
        }

        @Test
        void unknownOwnerIsLabelledZero() {
            Caller unknown = new Caller(ProcessId.UNKNOWN, ProcessId.UNKNOWN);

            CreateDecision.Forward forward = forward("{}", unknown);

            assertThat(labelsOf(forward)).contains(
                    entry(TetherLabels.OWNER_PID, "0"),
                    entry(TetherLabels.OWNER_START, "0"),
                    entry(TetherLabels.OWNER_EXE, ""),
                    entry(TetherLabels.HOST_PID, "0"),
                    entry(TetherLabels.HOST_START, "0"),
                    entry(TetherLabels.HOST_EXE, ""),
                    entry(TetherLabels.ANCESTORS, ""));
        }

        @Test
        void theOwnersAncestryIsLabelledNearestFirstAndReadsBack() {
            ProcessId wrapper = new ProcessId(4100, 910000, "/usr/bin/dash");
            ProcessId host = new ProcessId(4050, 905000, "/usr/bin/node");
            Ancestry ancestry = new Ancestry(List.of(wrapper, host, SHELL));
            Caller cli = new Caller(new ProcessId(4200, 920000, "/usr/bin/docker"), wrapper, ancestry, List.of("docker"),
                    Optional.empty());

            Map<String, String> labels = labelsOf(forward("{\"OpenStdin\":true,\"AttachStdin\":true}", cli));

            assertThat(labels).contains(entry(TetherLabels.HOST_PID, "4100"),
                    entry(TetherLabels.ANCESTORS, "4100-910000,4050-905000,4000-900000"));
            assertThat(Ancestry.parse(labels.get(TetherLabels.ANCESTORS)).orElseThrow().processes())
                    .as("read back: pid and start time, which is what identifies a process")
                    .containsExactly(new ProcessId(4100, 910000, ""), new ProcessId(4050, 905000, ""),
                            new ProcessId(4000, 900000, ""));
        }

        @Test
        void clientCannotClaimAnotherAncestry() {
            Map<String, String> labels = labelsOf(forward("{\"Labels\":{\"dev.tether.ancestors\":\"1-1\"}}"));

            assertThat(labels).containsEntry(TetherLabels.ANCESTORS, "4000-900000");
        }

        @Test
        void unpairedSurrogateEscapeReachesTheEngineAsGoDecodesIt() {
            Map<String, String> labels = labelsOf(forward("{\"Labels\":{\"a\":\"x\\ud800y\",\"b\":\"\\ud83d\\ude00\"}}"));

            assertThat(labels).contains(entry("a", "x\uFFFDy"), entry("b", "\uD83D\uDE00"));
        }

        @Test
        void specialCharactersSurviveTheRewrite() {
            Map<String, String> labels = labelsOf(forward("{\"Labels\":{\"q\\\"k\":\"a\\\\b\\n\\u0001é\"}}"));

            assertThat(labels).containsEntry("q\"k", "a\\b\n\u0001é");
        }
    }

    @Nested
    class HostConfig {

        @Test
        void absentHostConfigStaysAbsent() {
            assertThat(engineView(forward("{\"Image\":\"alpine\"}")).has("HostConfig")).isFalse();
        }

        @Test
        void nullHostConfigStaysNil() {
            assertThat(engineView(forward("{\"HostConfig\":null}")).has("HostConfig")).isFalse();
        }

        @Test
        void emptyHostConfigStaysPresent() {
            assertThat(engineView(forward("{\"HostConfig\":{}}")).get("HostConfig").isEmpty()).isTrue();
        }

        @Test
        void repeatedHostConfigsMerge() {
            CreateDecision.Forward forward =
                    forward("{\"HostConfig\":{\"AutoRemove\":false},\"hostConfig\":{\"Memory\":1}}");

            JsonNode hostConfig = engineView(forward).get("HostConfig");
            assertThat(hostConfig.get("AutoRemove").asBoolean()).isFalse();
            assertThat(hostConfig.get("Memory").asLong()).isEqualTo(1);
            assertThat(rootKeys(forward)).containsExactly("Labels", "HostConfig");
        }

        @Test
        void laterNullDropsEarlierHostConfig() {
            JsonNode view = engineView(forward("{\"HostConfig\":{\"Memory\":1},\"hostconfig\":null,"
                    + "\"HostConfig\":{\"CpuShares\":2}}"));

            assertThat(view.get("HostConfig").has("Memory")).isFalse();
            assertThat(view.get("HostConfig").get("CpuShares").asInt()).isEqualTo(2);
        }

        @Test
        void clientAutoRemoveInAnyCasingIsKept() {
            CreateDecision.Forward forward =
                    forward("{\"hostconfig\":{\"autoremove\":true,\"AUTOREMOVE\":null,\"Memory\":1}}");

            assertThat(engineView(forward).get("HostConfig").get("AutoRemove").asBoolean()).isTrue();
            assertThat(hostConfigKeys(forward)).containsExactly("Memory", "AutoRemove");
        }

        @Test
        void lastAutoRemoveWins() {
            JsonNode hostConfig = engineView(forward("{\"HostConfig\":{\"AutoRemove\":true},"
                    + "\"HostConfig\":{\"autoRemove\":false}}")).get("HostConfig");

            assertThat(hostConfig.get("AutoRemove").asBoolean()).isFalse();
        }
    }

    @Nested
    class StdioSession {

        @Test
        void leavesAutoRemoveAsTheClientSentIt() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + "}");

            assertThat(forward.tie()).isEqualTo(Tie.SESSION);
            assertThat(engineView(forward).path("HostConfig").has("AutoRemove")).isFalse();
        }

        @Test
        void keepsTheClientsAutoRemoveFalse() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"HostConfig\":{\"AutoRemove\":false,"
                    + "\"RestartPolicy\":{\"Name\":\"no\"}}}");

            assertThat(forward.tie()).isEqualTo(Tie.SESSION);
            assertThat(engineView(forward).get("HostConfig").get("AutoRemove").asBoolean()).isFalse();
        }

        @Test
        void keepsTheClientsAutoRemove() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"HostConfig\":{\"AutoRemove\":true}}");

            assertThat(hostConfigKeys(forward)).containsExactly("AutoRemove");
            assertThat(engineView(forward).get("HostConfig").get("AutoRemove").asBoolean()).isTrue();
        }

        @Test
        void aRestartPolicyMeansTheSessionIsNotTied() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION
                    + ",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\"}}}");

            assertThat(forward.tie()).isEqualTo(Tie.NONE);
            assertThat(forward.labels()).containsEntry(TetherLabels.WHY,
                    "a restart policy (always) says the container outlives whoever created it");
            assertThat(engineView(forward).get("HostConfig").has("AutoRemove")).isFalse();
        }

        @Test
        void restartPolicyIsFoundInAnyCasingAndOccurrence() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"hostconfig\":{\"restartpolicy\":"
                    + "{\"NAME\":\"always\"}},\"HostConfig\":{\"Memory\":1,\"RestartPolicy\":{\"MaximumRetryCount\":0}}}");

            assertThat(forward.tie()).isEqualTo(Tie.NONE);
        }

        @Test
        void nullRestartPolicyChangesNothing() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"HostConfig\":{\"RestartPolicy\":"
                    + "{\"Name\":\"always\"},\"RestartPolicy\":null,\"RestartPolicy\":{\"Name\":null}}}");

            assertThat(forward.tie()).isEqualTo(Tie.NONE);
        }

        @Test
        void laterRestartPolicyNoIsNoRestartPolicy() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"HostConfig\":{\"RestartPolicy\":"
                    + "{\"Name\":\"always\"}},\"HostConfig\":{\"RestartPolicy\":{\"name\":\"no\"}}}");

            assertThat(forward.tie()).isEqualTo(Tie.SESSION);
        }

        @Test
        void nullHostConfigDropsEarlierRestartPolicy() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"HostConfig\":{\"RestartPolicy\":"
                    + "{\"Name\":\"always\"}},\"HostConfig\":null}");

            assertThat(forward.tie()).isEqualTo(Tie.SESSION);
        }

        @Test
        void needsBothStdinFlags() {
            assertThat(forward("{\"AttachStdin\":true}").tie()).isEqualTo(Tie.OWNER);
            assertThat(forward("{\"OpenStdin\":true}").tie()).isEqualTo(Tie.OWNER);
        }

        @Test
        void stdinFlagsFollowGo() {
            assertThat(forward("{\"attachstdin\":true,\"OPENSTDIN\":true}").tie()).isEqualTo(Tie.SESSION);
            assertThat(forward("{" + STDIN_SESSION + ",\"openStdin\":null}").tie()).isEqualTo(Tie.SESSION);
            assertThat(forward("{" + STDIN_SESSION + ",\"openStdin\":false}").tie()).isEqualTo(Tie.OWNER);
        }

        @Test
        void stdinFlagsStayAsSent() {
            CreateDecision.Forward forward = forward("{\"AttachStdin\":true,\"attachstdin\" : true,\"OpenStdin\":true}");

            assertThat(body(forward)).startsWith("{\"AttachStdin\":true,\"attachstdin\" : true,\"OpenStdin\":true,");
        }
    }

    @Nested
    class TieChoice {

        @Test
        void clientTieLabelIsHonoured() {
            CreateDecision.Forward forward = forward("{" + STDIN_SESSION + ",\"Labels\":{\"dev.tether.tie\":\"host\"}}");

            assertThat(forward.tie()).isEqualTo(Tie.HOST);
            assertThat(forward.labels()).containsEntry(TetherLabels.TIE, "host");
        }

        @Test
        void invalidTieLabelIsRefused() {
            assertThat(refusal("{\"Labels\":{\"dev.tether.tie\":\"forever\"}}"))
                    .isEqualTo("label dev.tether.tie must be one of session, owner, host, none, not 'forever'");
        }

        @Test
        void forcedTieWins() {
            CreateLabeler forced = new CreateLabeler("tether-1", "boot-abc", "pid:[4026531836]", Optional.of(Tie.NONE));

            CreateDecision decision = forced.decide(utf8("{" + STDIN_SESSION
                    + ",\"Labels\":{\"dev.tether.tie\":\"session\"}}"), SDK_CLIENT);

            assertThat(decision).isInstanceOfSatisfying(CreateDecision.Forward.class, forward -> {
                assertThat(forward.tie()).isEqualTo(Tie.NONE);
                assertThat(forward.labels()).containsEntry(TetherLabels.TIE, "none");
                });
        }

        @Test
        void cliOwnerGetsNone() {
            Caller cli = new Caller(new ProcessId(7, 8, "/usr/bin/docker"), SHELL);

            assertThat(forward("{}", cli).tie()).isEqualTo(Tie.NONE);
        }
    }

    @Nested
    class ClientBytes {

        @Test
        void int64AndUnknownFieldsSurviveByteExact() {
            String members = "\"Image\":\"alpine\",\"X-Unknown\":{\"a\":[1.10,2e5,-0.0]},\"StopTimeout\":1E400";
            String hostConfig = "\"Memory\":9223372036854775807,\"NanoCpus\":1.10";

            String body = body(forward("{" + members + ",\"HostConfig\":{" + hostConfig + "}}"));

            assertThat(body).startsWith("{" + members + ",\"Labels\":{")
                    .endsWith(",\"HostConfig\":{" + hostConfig + "}}");
        }

        @Test
        void whitespaceAndEscapesInsideKeptMembersSurvive() {
            String body = body(forward(" {\n  \"Cmd\" : [ \"a\\u0041\" , 1 ] ,\n  \"Env\":null\t,\"x\":{ }\n}\r\n"));

            assertThat(body).startsWith("{\"Cmd\" : [ \"a\\u0041\" , 1 ],\"Env\":null,\"x\":{ },\"Labels\":{");
        }

        @Test
        void whitespaceAroundRewrittenMembersGoes() {
            String body = body(forward("{ \"Labels\" : { \"a\" : \"1\" } ,\n \"Image\" : \"x\" \n}"));

            assertThat(body).startsWith("{\"Image\" : \"x\",\"Labels\":{\"a\":\"1\",\"dev.tether.owner.pid\"");
        }

        @Test
        void repeatedUnmanagedKeysStayInOrder() {
            String body = body(forward("{\"Image\":\"a\",\"image\":\"b\",\"Image\":\"c\"}"));

            assertThat(body).startsWith("{\"Image\":\"a\",\"image\":\"b\",\"Image\":\"c\",\"Labels\":{");
        }

        @Test
        void hostConfigMembersOfEveryOccurrenceStayInOrder() {
            String body = body(forward("{\"HostConfig\":{\"Binds\":[\"/a:/a\"],\"Memory\":1},\"Image\":\"x\","
                    + "\"hostconfig\":{\"memory\":2,\"autoremove\":true,\"RestartPolicy\":{\"Name\":\"\"}}}"));

            assertThat(body).isEqualTo("{\"Image\":\"x\",\"Labels\":{" + tetherLabelsJson("owner") + "},"
                    + "\"HostConfig\":{\"Binds\":[\"/a:/a\"],\"Memory\":1,\"memory\":2,\"RestartPolicy\":{\"Name\":\"\"},"
                    + "\"AutoRemove\":true}}");
        }

        @Test
        void rootStaysAnObjectWhenOnlyManagedMembersWereSent() {
            assertThat(body(forward("{\"Labels\":{}}"))).isEqualTo("{\"Labels\":{" + tetherLabelsJson("owner") + "}}");
        }
    }

    @Nested
    class Refusals {

        @ParameterizedTest
        @ValueSource(strings = {"[]", "\"x\"", "null", "1", "true"})
        void nonObjectBody(String body) {
            assertThat(refusal(body)).startsWith("the create body is ").endsWith(", not a JSON object; send a JSON object");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "  \n"})
        void emptyBody(String body) {
            assertThat(refusal(body)).isEqualTo("the create body is empty; send a JSON object");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\"Image\"}", "{\"a\":1,}", "{'a':1}", "{\"a\":01}", "{\"a\":1", "{\"a\":\"\t\"}",
                "{a:1}", "{\"a\":NaN}", "{\"a\":\"\\x\"}", "{\"a\":1.}", "{/*c*/}"})
        void malformedJson(String body) {
            assertThat(refusal(body)).startsWith("the create body is not valid JSON (").endsWith("; send a JSON object");
        }

        @Test
        void malformedJsonSaysWhere() {
            assertThat(refusal("{\"Image\" x}")).contains("at line 1 column 10");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{} x", "{}{}", "{}}", "{},"})
        void contentAfterTheObject(String body) {
            assertThat(refusal(body)).startsWith("the create body continues after its JSON object");
        }

        @Test
        void trailingWhitespaceIsFine() {
            forward("{}\r\n\t ");
        }

        @Test
        void invalidUtf8SaysWhere() {
            assertThat(refusal(withRawBytesInAString("C3")))
                    .isEqualTo("the create body is not valid UTF-8 (at offset 10); send UTF-8 JSON");
        }

        @ParameterizedTest
        @ValueSource(strings = {"C0 AF", "ED A0 80", "F8 88 80 80 80", "F4 90 80 80", "FF", "80"})
        void overlongSurrogateAndOutOfRangeUtf8(String hex) {
            assertThat(refusal(withRawBytesInAString(hex))).startsWith("the create body is not valid UTF-8");
        }

        private static byte[] withRawBytesInAString(String hex) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(utf8("{\"Image\":\""));
            body.writeBytes(HexFormat.ofDelimiter(" ").parseHex(hex));
            body.writeBytes(utf8("\"}"));
            return body.toByteArray();
        }

        @Test
        void byteOrderMark() {
            byte[] body = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};

            assertThat(refusal(body)).contains("byte order mark");
        }

        @Test
        void utf16() {
            assertThat(refusal("{}".getBytes(StandardCharsets.UTF_16LE))).contains("NUL byte");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\"Labelſ\":{}}", "{\"HostConfig\":{},\"HoſtConfig\":null}", "{\"AttachStdın\":true}",
                "{\"OpenStdİn\":true}", "{\"HostConfig\":{\"RestartPolıcy\":null}}",
                "{\"HostConfig\":{\"ReſtartPolicy\":{\"Name\":\"always\"}}}",
                "{\"HostConfıg\":{}}"})
        void keysEnginesFoldDifferently(String body) {
            assertThat(refusal(body)).startsWith("ambiguous key '").contains("': engines differ on it; spell it '");
        }

        @Test
        void ambiguousKeySaysHowToSpellIt() {
            assertThat(refusal("{\"Labelſ\":{}}"))
                    .isEqualTo("ambiguous key 'Labelſ': engines differ on it; spell it 'Labels'");
        }

        @Test
        void lookalikesThatFoldToNoAsciiLetterAreOtherFields() {
            // Cyrillic е and the Roman numeral ⅴ fold to no ASCII letter on any engine.
            CreateDecision.Forward forward = forward("{\"Labеls\":{\"a\":1},\"HostConfig\":{\"AutoRemoⅴe\":\"x\"}}");

            assertThat(body(forward)).startsWith("{\"Labеls\":{\"a\":1},\"Labels\":{")
                    .endsWith("\"HostConfig\":{\"AutoRemoⅴe\":\"x\"}}");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\"Labels\":[]}", "{\"Labels\":\"a=b\"}", "{\"Labels\":5}", "{\"HostConfig\":5}",
                "{\"HostConfig\":[]}", "{\"HostConfig\":\"x\"}", "{\"AttachStdin\":\"yes\"}", "{\"OpenStdin\":1}",
                "{\"HostConfig\":{\"AutoRemove\":\"yes\"}}", "{\"HostConfig\":{\"AutoRemove\":{}}}",
                "{\"HostConfig\":{\"RestartPolicy\":\"always\"}}", "{\"HostConfig\":{\"RestartPolicy\":{\"Name\":1}}}"})
        void wrongTypes(String body) {
            assertThat(refusal(body)).contains(" must be ").endsWith("; the engine refuses it too");
        }

        @Test
        void wrongTypeSaysWhich() {
            assertThat(refusal("{\"HostConfig\":{\"autoremove\":\"yes\"}}"))
                    .isEqualTo("HostConfig.AutoRemove must be true, false or null, not a string; the engine refuses it too");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\"Labels\":{\"a\":1}}", "{\"Labels\":{\"a\":null}}", "{\"Labels\":{\"a\":{}}}",
                "{\"Labels\":{\"a\":true}}"})
        void nonStringLabelValue(String body) {
            assertThat(refusal(body)).startsWith("label 'a' must have a string value, not ");
        }

        @Test
        void parserLimits() {
            String deep = "[".repeat(5000) + "]".repeat(5000);

            assertThat(refusal("{\"x\":" + deep + "}")).startsWith("the create body exceeds a JSON parser limit");
        }
    }

    /** What the labeler says of a create by {@link #SDK_CLIENT}, a java process. */
    private static final String SDK_WHY =
            "an SDK client (java) created a detached container without a restart policy: it ends with that process";

    private String tetherLabelsJson(String tie) {
        return "\"dev.tether.owner.pid\":\"4242\",\"dev.tether.owner.start\":\"987654\","
                + "\"dev.tether.owner.exe\":\"/usr/lib/jvm/temurin-25/bin/java\",\"dev.tether.host.pid\":\"4000\","
                + "\"dev.tether.host.start\":\"900000\",\"dev.tether.host.exe\":\"/usr/bin/bash\","
                + "\"dev.tether.ancestors\":\"4000-900000\","
                + "\"dev.tether.tie\":\"" + tie + "\",\"dev.tether.why\":\"" + SDK_WHY + "\",\"dev.tether.instance\":\"tether-1\",\"dev.tether.boot\":\"boot-abc\","
                + "\"dev.tether.pidns\":\"pid:[4026531836]\"";
    }

    private CreateDecision.Forward forward(String body) {
        return forward(body, SDK_CLIENT);
    }

    private CreateDecision.Forward forward(String body, Caller caller) {
        CreateDecision decision = labeler.decide(utf8(body), caller);
        assertThat(decision).isInstanceOf(CreateDecision.Forward.class);
        return (CreateDecision.Forward) decision;
    }

    private String refusal(String body) {
        return refusal(utf8(body));
    }

    private String refusal(byte[] body) {
        CreateDecision decision = labeler.decide(body, SDK_CLIENT);
        assertThat(decision).isInstanceOf(CreateDecision.Refuse.class);
        return ((CreateDecision.Refuse) decision).reason();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String body(CreateDecision.Forward forward) {
        return new String(forward.body(), StandardCharsets.UTF_8);
    }

    /** The managed fields are written once, so a last-wins, case-sensitive tree reads them as Go does. */
    private JsonNode engineView(CreateDecision.Forward forward) {
        try {
            return mapper.readTree(forward.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, String> labelsOf(CreateDecision.Forward forward) {
        return mapper.convertValue(engineView(forward).get("Labels"),
                mapper.getTypeFactory().constructMapType(Map.class, String.class, String.class));
    }

    /** Root keys that fold to a field tether rewrites: exactly one each, in canonical spelling. */
    private static List<String> rootKeys(CreateDecision.Forward forward) {
        return keys(forward.body(), false).stream()
                .filter(key -> key.equalsIgnoreCase("Labels") || key.equalsIgnoreCase("HostConfig"))
                .toList();
    }

    private static List<String> hostConfigKeys(CreateDecision.Forward forward) {
        return keys(forward.body(), true);
    }

    private static List<String> keys(byte[] body, boolean ofHostConfig) {
        List<String> keys = new ArrayList<>();
        try (JsonParser parser = new JsonFactory().createParser(body)) {
            parser.nextToken();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                parser.nextToken();
                if (ofHostConfig && key.equals("HostConfig") && parser.currentToken() == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        keys.add(parser.currentName());
                        parser.nextToken();
                        parser.skipChildren();
                    }
                } else {
                    if (!ofHostConfig) {
                        keys.add(key);
                    }
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }
}
