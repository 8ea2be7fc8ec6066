package dev.tether.labeler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code tether up --mcp-defaults}: what a stdio session's HostConfig gets, read by Go's rules. */
class McpDefaultsTest {

    private static final Caller SDK_CLIENT = new Caller(new ProcessId(4242, 987654, "/usr/bin/java"),
            new ProcessId(4000, 900000, "/usr/bin/bash"));
    private static final Caller DOCKER_CLI = new Caller(new ProcessId(4242, 987654, "/usr/bin/docker"),
            new ProcessId(4000, 900000, "/usr/bin/bash"));
    private static final String SESSION = "\"AttachStdin\":true,\"OpenStdin\":true,";
    private static final long GIB_2 = 2L << 30;
    private static final long ONE_CPU = 1_000_000_000L;

    private final CreateLabeler withDefaults = labeler(Optional.of(McpDefaults.GATEWAY), Optional.empty());
    private final CreateLabeler withoutDefaults = labeler(Optional.empty(), Optional.empty());
    private final ObjectMapper mapper = new ObjectMapper();

    private static CreateLabeler labeler(Optional<McpDefaults> defaults, Optional<Tie> forced) {
        return new CreateLabeler("tether-1", "boot-abc", "pid:[4026531836]", forced, defaults);
    }

    @Nested
    class ASessionThatChoseNothing {

        @Test
        void getsInitNoNewPrivilegesAndBothCaps() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"Image\":\"x\"}");

            JsonNode hostConfig = hostConfig(forward);
            assertThat(hostConfig.get("Init").asBoolean()).isTrue();
            assertThat(strings(hostConfig.get("SecurityOpt"))).containsExactly("no-new-privileges");
            assertThat(hostConfig.get("Memory").asLong()).isEqualTo(GIB_2);
            assertThat(hostConfig.get("NanoCpus").asLong()).isEqualTo(ONE_CPU);
            assertThat(hostConfig.has("AutoRemove")).as("AutoRemove, which the client did not set").isFalse();
            assertThat(forward.mcpDefaultsSet()).isEqualTo(new CreateDecision.McpDefaultsSet(true, true,
                    OptionalLong.of(GIB_2), OptionalLong.of(ONE_CPU)));
        }

        @Test
        void theDockerClisZerosAndNullsCountAsNotChosen() {
            // What docker run -i sends: every Resources field as 0, SecurityOpt null, no Init.
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Memory\":0,\"MemorySwap\":0,"
                    + "\"MemoryReservation\":0,\"NanoCpus\":0,\"CpuQuota\":0,\"CpuPeriod\":0,\"CpuShares\":0,"
                    + "\"SecurityOpt\":null,\"NetworkMode\":\"none\"}}");

            assertThat(forward.mcpDefaultsSet()).isEqualTo(new CreateDecision.McpDefaultsSet(true, true,
                    OptionalLong.of(GIB_2), OptionalLong.of(ONE_CPU)));
            assertThat(hostConfigKeys(forward)).containsExactly("MemorySwap", "MemoryReservation", "CpuQuota",
                    "CpuPeriod", "CpuShares", "NetworkMode", "Init", "SecurityOpt", "Memory", "NanoCpus");
        }

        @Test
        void aRestartPolicyMakesItNoSessionSoItGetsNoDefaults() {
            CreateDecision.Forward forward = forward("{" + SESSION
                    + "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\"}}}");

            assertThat(forward.tie()).isEqualTo(Tie.NONE);
            assertThat(hostConfig(forward).has("Init")).isFalse();
            assertThat(forward.mcpDefaultsSet().isEmpty()).isTrue();
        }

        @Test
        void capsOfZeroSetNone() {
            CreateLabeler uncapped = labeler(Optional.of(new McpDefaults(0, 0)), Optional.empty());

            CreateDecision.Forward forward = forward(uncapped, "{" + SESSION + "\"HostConfig\":{\"Memory\":0}}", SDK_CLIENT);

            assertThat(hostConfigKeys(forward)).containsExactly("Init", "SecurityOpt", "Memory");
            assertThat(hostConfig(forward).get("Memory").asLong()).isZero();
            assertThat(forward.mcpDefaultsSet()).isEqualTo(new CreateDecision.McpDefaultsSet(true, true,
                    OptionalLong.empty(), OptionalLong.empty()));
        }

        @Test
        void otherHostConfigMembersStayByteForByte() {
            String kept = "\"Binds\":[\"/a:/b\"],\"ShmSize\":9223372036854775807,\"x\":{ \"y\" : [1.10] }";

            String body = body(forward("{" + SESSION + "\"HostConfig\":{" + kept + ",\"Memory\":0}}"));

            assertThat(body).contains("\"HostConfig\":{" + kept + ",\"Init\":true,"
                    + "\"SecurityOpt\":[\"no-new-privileges\"],\"Memory\":2147483648,\"NanoCpus\":1000000000}");
        }
    }

    @Nested
    class TheClientsOwnChoiceWins {

        @ParameterizedTest
        @ValueSource(strings = {"Init", "init", "INIT", "iNiT"})
        void initFalseInAnyCasing(String key) {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"" + key + "\":false}}");

            assertThat(hostConfig(forward).get("Init").asBoolean()).isFalse();
            assertThat(forward.mcpDefaultsSet().init()).isFalse();
            assertThat(hostConfigKeys(forward)).containsOnlyOnce("Init").doesNotContain(key.equals("Init") ? "" : key);
        }

        @Test
        void whenTheClientChoseAllFourItsMembersStayAsSent() {
            String hostConfig = "\"init\":false,\"securityopt\":[\"no-new-privileges:false\"],\"memory\":67108864,"
                    + "\"Memory\":null,\"nanocpus\" : 500000000";

            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{" + hostConfig + "}}");

            assertThat(body(forward)).endsWith("\"HostConfig\":{" + hostConfig + "}}");
            assertThat(forward.mcpDefaultsSet().isEmpty()).isTrue();
        }

        @Test
        void initTrueIsTheClientsNotTethers() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Init\":true}}");

            assertThat(hostConfig(forward).get("Init").asBoolean()).isTrue();
            assertThat(forward.mcpDefaultsSet().init()).isFalse();
        }

        @Test
        void aLaterNullInitIsNilAgainSoTetherSetsIt() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Init\":false,\"init\":null}}");

            assertThat(hostConfig(forward).get("Init").asBoolean()).isTrue();
            assertThat(forward.mcpDefaultsSet().init()).isTrue();
        }

        @Test
        void initFromAnEarlierHostConfigOccurrenceCounts() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Init\":false},"
                    + "\"hostconfig\":{\"Memory\":67108864}}");

            assertThat(hostConfig(forward).get("Init").asBoolean()).isFalse();
            assertThat(hostConfig(forward).get("Memory").asLong()).isEqualTo(67108864);
            assertThat(forward.mcpDefaultsSet()).isEqualTo(new CreateDecision.McpDefaultsSet(false, true,
                    OptionalLong.empty(), OptionalLong.of(ONE_CPU)));
        }

        @Test
        void aNullHostConfigForgetsEverythingBefore() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Init\":false,\"Memory\":67108864,"
                    + "\"SecurityOpt\":[\"no-new-privileges=false\"],\"CpuQuota\":5},\"HostConfig\":null}");

            assertThat(forward.mcpDefaultsSet()).isEqualTo(new CreateDecision.McpDefaultsSet(true, true,
                    OptionalLong.of(GIB_2), OptionalLong.of(ONE_CPU)));
            assertThat(hostConfigKeys(forward)).containsExactly("Init", "SecurityOpt", "Memory", "NanoCpus");
        }

        @ParameterizedTest
        @ValueSource(strings = {"no-new-privileges", "no-new-privileges=false", "no-new-privileges:false",
                "no-new-privileges=true"})
        void aNoNewPrivilegesEntry(String entry) {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"securityopt\":[\"label=disable\",\""
                    + entry + "\"]}}");

            assertThat(strings(hostConfig(forward).get("SecurityOpt"))).containsExactly("label=disable", entry);
            assertThat(forward.mcpDefaultsSet().noNewPrivileges()).isFalse();
        }

        @Test
        void otherEntriesGetNoNewPrivilegesAppended() {
            CreateDecision.Forward forward = forward("{" + SESSION
                    + "\"HostConfig\":{\"SecurityOpt\":[\"seccomp=unconfined\",\"a\\\"b\"]}}");

            assertThat(strings(hostConfig(forward).get("SecurityOpt")))
                    .containsExactly("seccomp=unconfined", "a\"b", "no-new-privileges");
            assertThat(hostConfigKeys(forward)).containsOnlyOnce("SecurityOpt");
        }

        @Test
        void theLastSecurityOptReplacesEarlierOnes() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"SecurityOpt\":"
                    + "[\"no-new-privileges=false\"],\"SECURITYOPT\":[\"label=disable\"]}}");

            assertThat(strings(hostConfig(forward).get("SecurityOpt"))).containsExactly("label=disable", "no-new-privileges");
            assertThat(forward.mcpDefaultsSet().noNewPrivileges()).isTrue();
        }

        @Test
        void aLaterNullSecurityOptEmptiesIt() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"SecurityOpt\":"
                    + "[\"no-new-privileges=false\"],\"SecurityOpt\":null}}");

            assertThat(strings(hostConfig(forward).get("SecurityOpt"))).containsExactly("no-new-privileges");
        }

        @Test
        void anEmptySecurityOptGetsTheEntry() {
            assertThat(strings(hostConfig(forward("{" + SESSION + "\"HostConfig\":{\"SecurityOpt\":[]}}")).get("SecurityOpt")))
                    .containsExactly("no-new-privileges");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Memory", "memory", "MEMORY"})
        void memoryInAnyCasing(String key) {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"" + key + "\":67108864}}");

            assertThat(hostConfig(forward).get("Memory").asLong()).isEqualTo(67108864);
            assertThat(hostConfigKeys(forward)).containsOnlyOnce("Memory");
            assertThat(forward.mcpDefaultsSet().memory()).isEmpty();
            assertThat(forward.mcpDefaultsSet().nanoCpus()).hasValue(ONE_CPU);
        }

        @Test
        void aNullMemoryLeavesTheEarlierValue() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Memory\":67108864,\"memory\":null}}");

            assertThat(hostConfig(forward).get("Memory").asLong()).isEqualTo(67108864);
            assertThat(forward.mcpDefaultsSet().memory()).isEmpty();
        }

        @Test
        void aLaterZeroMemoryIsNoCap() {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"Memory\":67108864,\"MEMORY\":0}}");

            assertThat(hostConfig(forward).get("Memory").asLong()).isEqualTo(GIB_2);
            assertThat(hostConfigKeys(forward)).containsOnlyOnce("Memory");
        }

        @Test
        void theLargestMemoryStaysExact() {
            assertThat(body(forward("{" + SESSION + "\"HostConfig\":{\"Memory\":9223372036854775807}}")))
                    .contains("\"Memory\":9223372036854775807");
        }

        @ParameterizedTest
        @ValueSource(strings = {"MemorySwap", "memoryswap", "MemoryReservation"})
        void anotherMemoryLimitMeansNoMemoryCap(String key) {
            // The engine refuses a Memory below MemorySwap or MemoryReservation, and MemorySwap without Memory.
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"" + key + "\":4294967296}}");

            assertThat(hostConfig(forward).has("Memory")).isFalse();
            assertThat(forward.mcpDefaultsSet().memory()).isEmpty();
            assertThat(body(forward)).contains("\"" + key + "\":4294967296");
        }

        @Test
        void unlimitedSwapIsAChoiceToo() {
            assertThat(forward("{" + SESSION + "\"HostConfig\":{\"MemorySwap\":-1}}").mcpDefaultsSet().memory()).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"NanoCpus", "nanocpus", "NANOCPUS"})
        void nanoCpusInAnyCasing(String key) {
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"" + key + "\":500000000}}");

            assertThat(hostConfig(forward).get("NanoCpus").asLong()).isEqualTo(500000000);
            assertThat(hostConfigKeys(forward)).containsOnlyOnce("NanoCpus");
            assertThat(forward.mcpDefaultsSet().nanoCpus()).isEmpty();
            assertThat(forward.mcpDefaultsSet().memory()).hasValue(GIB_2);
        }

        @ParameterizedTest
        @ValueSource(strings = {"CpuQuota", "cpuquota", "CpuPeriod"})
        void aCfsQuotaOrPeriodMeansNoCpuCap(String key) {
            // The engine refuses NanoCpus together with either.
            CreateDecision.Forward forward = forward("{" + SESSION + "\"HostConfig\":{\"" + key + "\":50000}}");

            assertThat(hostConfig(forward).has("NanoCpus")).isFalse();
            assertThat(forward.mcpDefaultsSet().nanoCpus()).isEmpty();
        }

        @Test
        void cpuSharesIsAWeightNotACap() {
            assertThat(forward("{" + SESSION + "\"HostConfig\":{\"CpuShares\":512}}").mcpDefaultsSet().nanoCpus())
                    .hasValue(ONE_CPU);
        }

        @Test
        void aLaterZeroQuotaAllowsTheCap() {
            assertThat(forward("{" + SESSION + "\"HostConfig\":{\"CpuQuota\":50000,\"cpuquota\":0}}")
                    .mcpDefaultsSet().nanoCpus()).hasValue(ONE_CPU);
        }
    }

    @Nested
    class OnlySessions {

        @ParameterizedTest
        @ValueSource(strings = {"{\"Image\":\"x\"}", "{\"HostConfig\":{\"Memory\":0,\"SecurityOpt\":[\"a\"],\"init\":null}}",
                "{\"AttachStdin\":true,\"OpenStdin\":true,\"Labels\":{\"dev.tether.tie\":\"none\"},\"HostConfig\":{}}"})
        void otherCreatesAreLabelledExactlyAsWithout(String body) {
            for (Caller caller : List.of(SDK_CLIENT, DOCKER_CLI)) {
                CreateDecision.Forward with = forward(withDefaults, body, caller);
                CreateDecision.Forward without = forward(withoutDefaults, body, caller);

                assertThat(with.tie()).isNotEqualTo(Tie.SESSION);
                assertThat(body(with)).isEqualTo(body(without)).doesNotContain("\"Init\"", "no-new-privileges\"]", "NanoCpus");
                assertThat(with.mcpDefaultsSet().isEmpty()).isTrue();
            }
        }

        @Test
        void aForcedSessionTieGetsThem() {
            CreateDecision.Forward forward = forward(labeler(Optional.of(McpDefaults.GATEWAY), Optional.of(Tie.SESSION)),
                    "{\"Image\":\"x\"}", DOCKER_CLI);

            assertThat(forward.mcpDefaultsSet().init()).isTrue();
        }

        @Test
        void withoutTheOptionASessionGetsNone() {
            CreateDecision.Forward forward = forward(withoutDefaults, "{" + SESSION + "\"Image\":\"x\"}", DOCKER_CLI);

            assertThat(body(forward)).doesNotContain("HostConfig");
            assertThat(forward.mcpDefaultsSet().isEmpty()).isTrue();
        }

        @Test
        void withoutTheOptionTheFieldsPassAsSentEvenIfTheEngineWillRefuseThem() {
            String hostConfig = "\"Init\":\"yes\",\"SecurityOpt\":[null],\"Memory\":1.5,\"memory\":2";

            CreateDecision.Forward forward = forward(withoutDefaults, "{" + SESSION + "\"HostConfig\":{" + hostConfig + "}}",
                    DOCKER_CLI);

            assertThat(body(forward)).endsWith("\"HostConfig\":{" + hostConfig + "}}");
        }
    }

    @Nested
    class Refusals {

        @ParameterizedTest
        @ValueSource(strings = {"\"Init\":\"yes\"", "\"init\":1", "\"Init\":{}", "\"SecurityOpt\":\"no-new-privileges\"",
                "\"SecurityOpt\":{}", "\"Memory\":\"2g\"", "\"memory\":true", "\"NanoCpus\":[]", "\"CpuQuota\":\"x\"",
                "\"MemorySwap\":{}", "\"MemoryReservation\":false", "\"CpuPeriod\":\"1\""})
        void wrongTypes(String member) {
            assertThat(refusal("{" + SESSION + "\"HostConfig\":{" + member + "}}")).contains(" must be ")
                    .endsWith("; the engine refuses it too");
        }

        @Test
        void wrongTypeSaysWhichAndWhat() {
            assertThat(refusal("{\"HostConfig\":{\"memory\":\"2g\"}}"))
                    .isEqualTo("HostConfig.Memory must be an integer or null, not a string; the engine refuses it too");
        }

        @ParameterizedTest
        @ValueSource(strings = {"1.5", "1e3", "2.0", "-0.0"})
        void fractionsAndExponentsAreNotInt64(String number) {
            assertThat(refusal("{" + SESSION + "\"HostConfig\":{\"NanoCpus\":" + number + "}}"))
                    .isEqualTo("HostConfig.NanoCpus must be an integer, not " + number + "; the engine refuses it too");
        }

        @Test
        void outOfInt64Range() {
            assertThat(refusal("{" + SESSION + "\"HostConfig\":{\"Memory\":9223372036854775808}}"))
                    .isEqualTo("HostConfig.Memory must be a 64-bit integer, not 9223372036854775808; the engine refuses it too");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[null]", "[1]", "[\"a\",[]]", "[true]"})
        void securityOptEntriesMustBeStrings(String array) {
            assertThat(refusal("{" + SESSION + "\"HostConfig\":{\"SecurityOpt\":" + array + "}}"))
                    .startsWith("HostConfig.SecurityOpt entries must be strings, not ").endsWith("; send an array of strings");
        }

        @Test
        void aWrongTypeInAnOverwrittenOccurrenceIsRefusedToo() {
            // Go notes the type error, decodes on, and the engine refuses the body.
            assertThat(refusal("{" + SESSION + "\"HostConfig\":{\"Memory\":\"x\"},\"HostConfig\":null}")).contains("Memory");
        }

        @Test
        void wrongTypesAreRefusedForEveryCreateWhileTheOptionIsOn() {
            assertThat(refusal("{\"HostConfig\":{\"Init\":\"no\"}}")).startsWith("HostConfig.Init must be true, false or null");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Inıt", "ſecurityOpt", "MemoryReſervation", "NanoCpuſ", "CpuQuota\u017f"})
        void keysEnginesFoldDifferently(String key) {
            String body = "{" + SESSION + "\"HostConfig\":{\"" + key + "\":null}}";
            if (key.equals("CpuQuota\u017f")) {
                // folds to no field: an unknown member, kept as sent
                assertThat(body(forward(body))).contains("\"CpuQuotaſ\":null");
            } else {
                assertThat(refusal(body)).startsWith("ambiguous key '" + key + "'");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private CreateDecision.Forward forward(String body) {
        return forward(withDefaults, body, SDK_CLIENT);
    }

    private static CreateDecision.Forward forward(CreateLabeler labeler, String body, Caller caller) {
        CreateDecision decision = labeler.decide(body.getBytes(StandardCharsets.UTF_8), caller);
        assertThat(decision).isInstanceOf(CreateDecision.Forward.class);
        return (CreateDecision.Forward) decision;
    }

    private String refusal(String body) {
        CreateDecision decision = withDefaults.decide(body.getBytes(StandardCharsets.UTF_8), SDK_CLIENT);
        assertThat(decision).isInstanceOf(CreateDecision.Refuse.class);
        return ((CreateDecision.Refuse) decision).reason();
    }

    private static String body(CreateDecision.Forward forward) {
        return new String(forward.body(), StandardCharsets.UTF_8);
    }

    /** Every field tether rewrites is written once, so a last-wins, case-sensitive tree reads it as Go does. */
    private JsonNode hostConfig(CreateDecision.Forward forward) {
        try {
            return mapper.readTree(forward.body()).get("HostConfig");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static List<String> hostConfigKeys(CreateDecision.Forward forward) {
        List<String> keys = new ArrayList<>();
        try (JsonParser parser = new JsonFactory().createParser(forward.body())) {
            parser.nextToken();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                parser.nextToken();
                if (key.equals("HostConfig")) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        keys.add(parser.currentName());
                        parser.nextToken();
                        parser.skipChildren();
                    }
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }
}
