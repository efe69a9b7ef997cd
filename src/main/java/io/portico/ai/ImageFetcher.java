package io.portico.ai;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Images;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.net.AddressRules;
import io.portico.net.HttpUrls;
import io.portico.node.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Fetches the images of a request that a provider cannot fetch itself, and puts them inline as data URIs.
 *
 * <p>Since the URLs come from clients, fetching is guarded: only http and https, no redirects, no content coding, a
 * size limit and a time limit, and every address the host resolves to must be public by {@link AddressRules}.
 * Loopback, private, link-local, cloud metadata, multicast, unspecified and reserved addresses, also in IPv6 forms
 * that carry an IPv4 address, are rejected unless {@code ai.images.allowPrivateAddresses} is set. The connection
 * goes to the address that was checked, so a second DNS answer cannot redirect it.
 */
final class ImageFetcher {

    /**
     * Images up to this size are encoded on the event loop. Larger ones, up to {@code ai.images.maxBytes}, are
     * encoded on a worker thread: base64 of 10 MiB and the copies of the text take milliseconds.
     */
    private static final int INLINE_ENCODE_BYTES = 256 * 1024;

    private final Vertx vertx;
    private final HttpClient client;
    private final NodeConfig.Images settings;
    private final HostResolver resolver;

    ImageFetcher(Vertx vertx, HttpClient client, NodeConfig.Images settings) {
        this(vertx, client, settings, InetAddress::getAllByName);
    }

    /** Creates a fetcher whose host names {@code resolver} resolves, on a worker thread. */
    ImageFetcher(Vertx vertx, HttpClient client, NodeConfig.Images settings, HostResolver resolver) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.client = requireNonNull(client, "client");
        this.settings = requireNonNull(settings, "settings");
        this.resolver = requireNonNull(resolver, "resolver");
    }

    /** Resolves a host name to its addresses, blocking the calling thread. */
    @FunctionalInterface
    interface HostResolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** True when {@code body} (internal form) has an image at an http or https URL that {@code accepted} rejects. */
    static boolean hasRemoteImages(JsonNode body, Predicate<String> accepted) {
        for (JsonNode message : body.path("messages")) {
            for (JsonNode part : message.path("content")) {
                if (remoteImage(part, accepted) != null) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<ObjectNode> remoteImages(JsonNode body, Predicate<String> accepted) {
        List<ObjectNode> images = new ArrayList<>();
        for (JsonNode message : body.path("messages")) {
            for (JsonNode part : message.path("content")) {
                ObjectNode image = remoteImage(part, accepted);
                if (image != null) {
                    images.add(image);
                }
            }
        }
        return images;
    }

    /** Returns the {@code image_url} object of {@code part} when its URL is http or https and rejected, else null. */
    private static ObjectNode remoteImage(JsonNode part, Predicate<String> accepted) {
        if (part.get("image_url") instanceof ObjectNode image) {
            String url = image.path("url").asText("");
            if (isHttpUrl(url) && !accepted.test(url)) {
                return image;
            }
        }
        return null;
    }

    /** Returns true when {@code url} starts with {@code http://} or {@code https://}, in any case. */
    private static boolean isHttpUrl(String url) {
        return url.regionMatches(true, 0, "http://", 0, 7) || url.regionMatches(true, 0, "https://", 0, 8);
    }

    /** Returns a copy of {@code body} with each remote image that {@code accepted} rejects inline as a data URI. */
    Future<ObjectNode> inline(ObjectNode body, Predicate<String> accepted) {
        ObjectNode copy = body.deepCopy();
        List<ObjectNode> images = remoteImages(copy, accepted);
        Map<String, Future<String>> fetches = new LinkedHashMap<>();
        for (ObjectNode image : images) {
            fetches.computeIfAbsent(image.path("url").asText(), this::fetch);
        }
        return Future.all(new ArrayList<>(fetches.values())).map(all -> {
            for (ObjectNode image : images) {
                image.put("url", fetches.get(image.path("url").asText()).result());
            }
            return copy;
        });
    }

    private Future<String> fetch(String url) {
        URI uri;
        try {
            uri = HttpUrls.parse(url);
        } catch (URISyntaxException e) {
            return failed("the image URL " + url + " is invalid: " + e.getReason());
        }
        String host = uri.getHost();
        if (host == null) {
            return failed("the image URL " + url + " has no host");
        }
        boolean https = "https".equals(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        // Unordered, so a slow lookup does not hold up the lookups of other requests on the same event loop.
        return vertx.<InetAddress>executeBlocking(() -> resolve(host), false).recover(e -> failed(e.getMessage()))
                .compose(address -> download(url, uri, host, port, https, address));
    }

    private InetAddress resolve(String host) throws UnknownHostException {
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new UnknownHostException("the image host " + host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            AddressRules.Kind kind = AddressRules.classify(address);
            if (!settings.allowPrivateAddresses() && kind != AddressRules.Kind.PUBLIC) {
                throw new UnknownHostException("the image host " + host + " resolves to the " + kind.description()
                        + " address " + address.getHostAddress() + ", which Portico does not fetch from");
            }
        }
        return addresses[0];
    }

    /**
     * Rejects image URLs whose scheme is not http, https, data or gs (Cloud Storage, which Vertex AI reads), so
     * that no other scheme reaches a provider.
     *
     * @throws AiException with status 400 naming the first such URL
     */
    static void checkSchemes(JsonNode body) {
        for (JsonNode message : body.path("messages")) {
            for (JsonNode part : message.path("content")) {
                String url = part.path("image_url").path("url").asText(null);
                if (url == null) {
                    continue;
                }
                int colon = url.indexOf(':');
                String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("data")
                        && !scheme.equals("gs")) {
                    throw new AiException(AiError.of(400, "invalid_image_url", "the image URL scheme '" + scheme
                            + "' is not supported; use https, http or a data URI"));
                }
            }
        }
    }

    private Future<String> download(String url, URI uri, String host, int port, boolean https, InetAddress address) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        long idleMillis = settings.timeout().toMillis();
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
                .setHost(host)
                .setPort(port)
                .setSsl(https)
                .setURI(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery())
                .setFollowRedirects(false)
                .setIdleTimeout(idleMillis);
        Promise<String> result = Promise.promise();
        FetchDeadlines deadlines = new FetchDeadlines(url, result);
        client.request(options).compose(request -> {
            deadlines.request = request;
            return request.send();
        }).onComplete(sent -> {
            if (sent.failed()) {
                result.tryFail(error("fetching the image " + url + " failed: " + sent.cause().getMessage()));
                return;
            }
            var response = sent.result();
            if (response.statusCode() != 200) {
                response.end();
                result.tryFail(error("fetching the image " + url + " returned status " + response.statusCode()));
                return;
            }
            String type = response.getHeader("content-type");
            if (type != null && !type.startsWith("image/")) {
                response.end();
                result.tryFail(error("the URL " + url + " is not an image: its content type is " + type));
                return;
            }
            String coding = response.getHeader("content-encoding");
            if (coding != null && !coding.trim().equalsIgnoreCase("identity")) {
                // The request sends no Accept-Encoding. Decoding a coded body could expand it far beyond the size
                // limit.
                response.request().reset();
                result.tryFail(error("the image " + url + " was sent with content coding " + coding
                        + "; only uncompressed images are fetched"));
                return;
            }
            Buffer bytes = Buffer.buffer();
            deadlines.startBodyTimer();
            response.handler(chunk -> {
                deadlines.lastBytesNanos = System.nanoTime();
                if (bytes.length() + chunk.length() > settings.maxBytes()) {
                    result.tryFail(error("the image " + url + " is larger than " + settings.maxBytes() + " bytes"));
                    response.request().reset();
                    return;
                }
                bytes.appendBuffer(chunk);
            });
            response.exceptionHandler(cause -> result.tryFail(error("fetching the image " + url + " failed: "
                    + cause.getMessage())));
            response.endHandler(end -> {
                deadlines.stopBodyTimer();
                String declared = type == null ? "image/png" : type.split(";")[0].trim();
                if (bytes.length() <= INLINE_ENCODE_BYTES) {
                    result.tryComplete(dataUri(declared, bytes));
                    return;
                }
                vertx.executeBlocking(() -> dataUri(declared, bytes), false).onComplete(encoded -> {
                    if (encoded.succeeded()) {
                        result.tryComplete(encoded.result());
                    } else {
                        result.tryFail(error("encoding the image " + url + " failed"));
                    }
                });
            });
        });
        return result.future();
    }

    /**
     * Timers of one fetch. {@code ai.images.totalTimeout} bounds the whole fetch, and after the response head
     * {@code ai.images.timeout} bounds each wait for the next bytes of the body, because the client's idle timeout
     * covers the wait for the head only. Either failure resets the request, which closes its connection.
     */
    private final class FetchDeadlines {

        private final String url;
        private final Promise<String> result;
        private final long totalTimer;
        private long bodyTimer = -1;
        private HttpClientRequest request;
        private long lastBytesNanos;

        FetchDeadlines(String url, Promise<String> result) {
            this.url = url;
            this.result = result;
            long totalMillis = settings.totalTimeout().toMillis();
            this.totalTimer = vertx.setTimer(totalMillis, id -> fail("fetching the image " + url
                    + " timed out: it took longer than ai.images.totalTimeout (" + totalMillis + " ms)"));
            result.future().onComplete(done -> {
                vertx.cancelTimer(totalTimer);
                if (bodyTimer >= 0) {
                    vertx.cancelTimer(bodyTimer);
                }
            });
        }

        /** Starts bounding the silences of the body, from now. */
        void startBodyTimer() {
            lastBytesNanos = System.nanoTime();
            scheduleBodyCheck(settings.timeout().toMillis());
        }

        /** Stops bounding the silences of the body, which has ended. */
        void stopBodyTimer() {
            vertx.cancelTimer(bodyTimer);
        }

        private void scheduleBodyCheck(long delayMillis) {
            bodyTimer = vertx.setTimer(Math.max(1, delayMillis), id -> {
                if (result.future().isComplete()) {
                    return;
                }
                long idleMillis = settings.timeout().toMillis();
                long silentMillis = (System.nanoTime() - lastBytesNanos) / 1_000_000;
                if (silentMillis >= idleMillis) {
                    fail("fetching the image " + url + " timed out: no bytes arrived for ai.images.timeout ("
                            + idleMillis + " ms)");
                } else {
                    scheduleBodyCheck(idleMillis - silentMillis);
                }
            });
        }

        private void fail(String message) {
            if (result.tryFail(error(message)) && request != null) {
                request.reset();
            }
        }
    }

    /**
     * Returns the data URI of an image's {@code bytes}, with the type its first bytes show, or {@code declared} when
     * they show none.
     */
    private static String dataUri(String declared, Buffer bytes) {
        String base64 = Base64.getEncoder().encodeToString(bytes.getBytes());
        String detected = Images.detect(base64);
        String type = detected != null ? detected : declared.isEmpty() ? "image/png" : declared;
        return "data:" + type + ";base64," + base64;
    }

    private static <T> Future<T> failed(String message) {
        return Future.failedFuture(error(message));
    }

    private static AiException error(String message) {
        return new AiException(AiError.of(400, "invalid_image_url", message));
    }
}
