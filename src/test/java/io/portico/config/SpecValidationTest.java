package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.TestCertificates;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation of service and route specifications that the data plane would otherwise fail on. */
class SpecValidationTest {

    @Test
    void rewriteReferringToMissingGroupIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\","
                + "\"rewrite\":{\"regex\":\"^/(.*)$\",\"replacement\":\"/$5\"}}");

        assertThat(errors).extracting(FieldError::field).containsExactly("rewrite.replacement");
    }

    @Test
    void rewriteWithValidGroupsIsAccepted() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\","
                + "\"rewrite\":{\"regex\":\"^/(?<rest>.*)$\",\"replacement\":\"/v2/$1/${rest}\\\\$\"}}");

        assertThat(errors).isEmpty();
    }

    @Test
    void headerNameWithSpaceIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\","
                + "\"requestHeaders\":{\"set\":{\"Bad Header\":\"x\"}}}");

        assertThat(errors).extracting(FieldError::field).containsExactly("requestHeaders.set.Bad Header");
    }

    @Test
    void headerValueWithLineBreakIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\","
                + "\"responseHeaders\":{\"add\":{\"X-Ok\":\"x\\r\\nInjected: 1\"}}}");

        assertThat(errors).extracting(FieldError::field).containsExactly("responseHeaders.add.X-Ok");
    }

    @Test
    void headerOperationOnFramingHeaderIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\","
                + "\"requestHeaders\":{\"set\":{\"content-LENGTH\":\"5\"},\"remove\":[\"Transfer-Encoding\"]},"
                + "\"responseHeaders\":{\"add\":{\"Connection\":\"close\",\"X-Forwarded-For\":\"1.2.3.4\"}}}");

        assertThat(errors).extracting(FieldError::field).containsExactlyInAnyOrder("requestHeaders.set.content-LENGTH",
                "requestHeaders.remove[0]", "responseHeaders.add.Connection");
    }

    @Test
    void hugeDurationIsRejectedWithField() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}],"
                + "\"timeouts\":{\"read\":\"9999999999999h\"}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e ->
                        assertThat(e.errors()).extracting(FieldError::field).containsExactly("timeouts.read"));
    }

    @Test
    void everyMappingErrorIsListed() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80,\"colour\":1}],"
                + "\"bogus\":1,\"timeouts\":{\"connect\":\"5 parsecs\",\"read\":\"2s\"},"
                + "\"retries\":{\"attempts\":\"x\"}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactlyInAnyOrder("targets[0].colour", "bogus", "timeouts.connect",
                                "retries.attempts"));
        assertThat(spec.has("bogus")).as("the caller's document is left as it was").isTrue();
    }

    @Test
    void invalidDurationIsListedWithOtherErrors() {
        ObjectNode spec = service("{\"name\":\"p\",\"type\":\"openai\",\"baseUrl\":\"ftp://x\","
                + "\"keys\":[{\"label\":\"a\"}],\"timeouts\":{\"total\":\"-1s\"},\"retries\":{\"attempts\":0}}");

        assertThatThrownBy(() -> ResourceKinds.PROVIDERS.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactlyInAnyOrder("timeouts.total", "baseUrl", "keys[0].key", "retries.attempts"));
    }

    @Test
    void serviceDurationErrorsAreListedWithOtherErrors() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":0}],"
                + "\"timeouts\":{\"read\":\"soon\",\"connect\":-5}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactlyInAnyOrder("timeouts.read", "timeouts.connect", "targets[0].port"));
    }

    @Test
    void leftOutFieldIsNotReportedAsMissing() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":[\"h\"],\"port\":80}],"
                + "\"timeouts\":{\"read\":\"1y\"}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactlyInAnyOrder("targets[0].host", "timeouts.read"));
    }

    @Test
    void wrongTypedElementHidesNoErrors() {
        ObjectNode spec = service("{\"name\":\"t1\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":80,\"weight\":-1}],"
                + "\"protocol\":\"ftp\",\"unknownField\":1,\"retries\":{\"statuses\":[99,\"abc\"]}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactlyInAnyOrder("retries.statuses[1]", "unknownField", "protocol",
                                "targets[0].weight", "retries.statuses[0]"));
        assertThat(spec.path("retries").path("statuses")).as("the caller's document is left as it was").hasSize(2);
    }

    @Test
    void listElementErrorsKeepWrittenIndices() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[5,{\"host\":\"h\",\"port\":0},\"x\","
                + "{\"host\":\"h\",\"port\":80,\"weight\":-1}],\"retries\":{\"statuses\":[\"abc\",99,true,700,200]}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder("targets[0]",
                            "targets[1].port", "targets[2]", "targets[3].weight", "retries.statuses[0]",
                            "retries.statuses[1]", "retries.statuses[2]", "retries.statuses[3]");
                    assertThat(e.errors()).filteredOn(error -> error.field().equals("retries.statuses[1]"))
                            .extracting(FieldError::message).containsExactly(ServiceSpec.STATUS_MESSAGE);
                    assertThat(e.errors()).filteredOn(error -> error.field().equals("retries.statuses[2]"))
                            .extracting(FieldError::message).containsExactly("has the wrong type: expected a whole"
                                    + " number");
                });
    }

    @Test
    void onlyElementLeftOutSkipsListRules() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[5]}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("targets[0]"));
    }

    @Test
    void wrongTypedMethodHidesNoErrors() {
        ObjectNode spec = service("{\"name\":\"t1\",\"service\":\"s\",\"paths\":[\"x\"],\"methods\":[\"GET\",5],"
                + "\"bogus\":1}");

        assertThatThrownBy(() -> ResourceKinds.ROUTES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactlyInAnyOrder("methods[1]", "bogus", "paths[0]"));
    }

    @Test
    void mappingErrorsStopAtCap() {
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < ResourceKind.MAX_MAPPING_ERRORS + 5; i++) {
            fields.append(",\"unknown").append(i).append("\":1");
        }
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}]" + fields + "}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).hasSize(ResourceKind.MAX_MAPPING_ERRORS);
                    assertThat(e.incomplete()).isTrue();
                    assertThat(e.summary()).isEqualTo("20 fields are invalid, and checking stopped there, so others "
                            + "may be as well");
                });
    }

    @Test
    void errorsBelowTheCapAreComplete() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}],\"a\":1,\"b\":2}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.incomplete()).isFalse();
                    assertThat(e.summary()).isEqualTo("2 fields are invalid");
                });
    }

    @Test
    void fractionalDurationIsRejected() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}],"
                + "\"timeouts\":{\"connect\":1.5,\"read\":250}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field).containsExactly("timeouts.connect");
                    assertThat(e.errors().get(0).message()).contains("1.5").contains("whole number of milliseconds");
                });
    }

    @Test
    void hugeBareNumberDurationIsRejected() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}],"
                + "\"timeouts\":{\"connect\":99999999999}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e ->
                        assertThat(e.errors()).extracting(FieldError::field).containsExactly("timeouts.connect"));
    }

    @Test
    void numberOrBooleanForTextIsRejected() {
        ObjectNode spec = service("{\"name\":\"s\",\"protocol\":5,\"targets\":[{\"host\":true,\"port\":1}]}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactlyInAnyOrder("protocol", "targets[0].host"));
    }

    @Test
    void textForNumberIsRead() {
        ServiceSpec parsed = ResourceKinds.SERVICES.parse(service(
                "{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":\"8080\"}]}"));

        assertThat(parsed.targets().get(0).port()).isEqualTo(8080);
    }

    @Test
    void wholeNumberDurationIsMilliseconds() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}],"
                + "\"timeouts\":{\"read\":250}}");

        ServiceSpec parsed = ResourceKinds.SERVICES.parse(spec);

        assertThat(parsed.timeouts().read()).isEqualTo(java.time.Duration.ofMillis(250));
    }

    @Test
    void fractionalPortIsRejected() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80.5}]}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e ->
                        assertThat(e.errors()).extracting(FieldError::field).containsExactly("targets[0].port"));
    }

    @Test
    void outOfRangeIntegerNamesField() {
        ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"host\":\"h\",\"port\":80}],"
                + "\"circuitBreaker\":{\"minimumCalls\":1000000000000}}");

        assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).extracting(FieldError::field)
                            .containsExactly("circuitBreaker.minimumCalls");
                    assertThat(e.errors().get(0).message())
                            .isEqualTo("is out of range: expected a whole number from -2147483648 to 2147483647");
                });
    }

    @Test
    void certificateWithForeignKeyIsRejected() {
        TestCertificates.Issued first = TestCertificates.selfSignedServer("a.example.test");
        TestCertificates.Issued second = TestCertificates.selfSignedServer("b.example.test");
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", "tls")
                .put("certificate", first.certificatePem()).put("key", second.privateKeyPem());

        assertThatThrownBy(() -> ResourceKinds.CERTIFICATES.parse(spec))
                .isInstanceOfSatisfying(ValidationException.class, e ->
                        assertThat(e.errors()).extracting(FieldError::field).containsExactly("key"));
    }

    @Test
    void certificateWithItsKeyIsAccepted() {
        TestCertificates.Issued pair = TestCertificates.selfSignedServer("a.example.test");
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", "tls")
                .put("certificate", pair.certificatePem()).put("key", pair.privateKeyPem());

        assertThat(ResourceKinds.CERTIFICATES.parse(spec).hostNames()).containsExactly("a.example.test");
    }

    @Test
    void repeatedKeyIsRejected() {
        assertThatThrownBy(() -> Json.MAPPER.readTree("{\"name\":\"s1\",\"name\":\"s2\"}"))
                .hasMessageContaining("Duplicate field 'name'");
    }

    @Test
    void malformedTargetHostIsRejected() {
        for (String host : List.of("127.0.0.1:80", "exa mple", "999.1.1.1", "a..b", "-a.example", "a.example.",
                "010.0.0.1", "[example.com]", "::1:80:x", "")) {
            ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"port\":80}]}");
            ((ObjectNode) spec.withArray("targets").get(0)).put("host", host);

            assertThatThrownBy(() -> ResourceKinds.SERVICES.parse(spec))
                    .as(host)
                    .isInstanceOfSatisfying(ValidationException.class, e ->
                            assertThat(e.errors()).extracting(FieldError::field).containsExactly("targets[0].host"));
        }
    }

    @Test
    void wellFormedTargetHostIsAccepted() {
        for (String host : List.of("orders-1.internal", "localhost", "10.0.0.11", "255.255.255.255", "::1",
                "[::1]", "2001:db8::7", "[2001:db8::7]", "x1.example.com", "orders_api", "redis_1.backend")) {
            ObjectNode spec = service("{\"name\":\"s\",\"targets\":[{\"port\":80}]}");
            ((ObjectNode) spec.withArray("targets").get(0)).put("host", host);

            ServiceSpec parsed = ResourceKinds.SERVICES.parse(spec);

            assertThat(parsed.targets().get(0).host()).as(host).isEqualTo(host.replace("[", "").replace("]", ""));
        }
    }

    @Test
    void bracketedIpv6TargetHasOneAddress() {
        ServiceSpec parsed = ResourceKinds.SERVICES.parse(service(
                "{\"name\":\"s\",\"targets\":[{\"host\":\"[::1]\",\"port\":80}]}"));

        assertThat(parsed.targets().get(0).address()).isEqualTo("[::1]:80");
    }

    @Test
    void routeHostWithEmptyLabelIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\","
                + "\"hosts\":[\"a..b\",\"*.*.x\",\"*.a..b\",\"ok.example\",\"*.ok.example\",\"10.0.0.1\"]}");

        assertThat(errors).extracting(FieldError::field).containsExactly("hosts[0]", "hosts[1]", "hosts[2]");
    }

    @Test
    void headerConditionWithEmptyNameIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\",\"headers\":{\"\":\"x\"}}");

        assertThat(errors).extracting(FieldError::field).containsExactly("headers");
        assertThat(errors.get(0).message()).startsWith("'' is not a header name");
    }

    @Test
    void headerConditionWithSpaceIsRejected() throws Exception {
        List<FieldError> errors = routeErrors("{\"name\":\"r\",\"service\":\"s\",\"headers\":{\"X A\":\"x\"}}");

        assertThat(errors).extracting(FieldError::field).containsExactly("headers.X A");
    }

    private static List<FieldError> routeErrors(String json) throws Exception {
        RouteSpec route = Json.MAPPER.readValue(json, RouteSpec.class);
        Errors errors = new Errors();
        route.validate(errors);
        return errors.list();
    }

    private static ObjectNode service(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
