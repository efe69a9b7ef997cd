package io.portico.ai;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Images;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.node.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.Inet6Address;
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
 * <p>Since the URLs come from clients, fetching is guarded: only http and https, no redirects, a size limit and a
 * time limit, and the host must resolve to public addresses only. Loopback, private, link-local (cloud metadata
 * services included), unique-local, multicast and unspecified addresses are rejected unless
 * {@code ai.images.allowPrivateAddresses} is set. The connection goes to the address that was checked, so a second
 * DNS answer cannot redirect it.
 */
final class ImageFetcher {

    private final Vertx vertx;
    private final HttpClient client;
    private final NodeConfig.Images settings;

    ImageFetcher(Vertx vertx, HttpClient client, NodeConfig.Images settings) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.client = requireNonNull(client, "client");
        this.settings = requireNonNull(settings, "settings");
    }

    /** True when {@code body} (internal form) has an image at an http or https URL that {@code accepted} rejects. */
    static boolean hasRemoteImages(JsonNode body, Predicate<String> accepted) {
        return !remoteImages(body, accepted).isEmpty();
    }

    private static List<ObjectNode> remoteImages(JsonNode body, Predicate<String> accepted) {
        List<ObjectNode> images = new ArrayList<>();
        for (JsonNode message : body.path("messages")) {
            for (JsonNode part : message.path("content")) {
                JsonNode image = part.get("image_url");
                if (image instanceof ObjectNode object) {
                    String url = object.path("url").asText("");
                    if ((url.startsWith("https://") || url.startsWith("http://")) && !accepted.test(url)) {
                        images.add(object);
                    }
                }
            }
        }
        return images;
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
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return failed("the image URL " + url + " is invalid");
        }
        String host = uri.getHost();
        if (host == null) {
            return failed("the image URL " + url + " has no host");
        }
        boolean https = "https".equals(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        return vertx.<InetAddress>executeBlocking(() -> resolve(host)).recover(e -> failed(e.getMessage()))
                .compose(address -> download(url, uri, host, port, https, address));
    }

    private InetAddress resolve(String host) throws UnknownHostException {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new UnknownHostException("the image host " + host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            if (!settings.allowPrivateAddresses() && !isPublic(address)) {
                throw new UnknownHostException("the image host " + host + " resolves to the non-public address "
                        + address.getHostAddress() + ", which Portico does not fetch from");
            }
        }
        return addresses[0];
    }

    /** True for addresses on the public internet. */
    static boolean isPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address) {
            byte[] embedded = embeddedV4(bytes);
            if (embedded != null) {
                try {
                    return isPublic(InetAddress.getByAddress(embedded));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
            boolean uniqueLocal = (bytes[0] & 0xFE) == 0xFC;
            return !uniqueLocal;
        }
        int first = bytes[0] & 0xFF;
        int second = bytes[1] & 0xFF;
        boolean sharedAddressSpace = first == 100 && second >= 64 && second <= 127;
        boolean reserved = first == 0 || first >= 240;
        return !sharedAddressSpace && !reserved;
    }

    /**
     * Returns the IPv4 address that an IPv6 address carries, or null: IPv4-mapped {@code ::ffff:0:0/96},
     * IPv4-compatible {@code ::/96}, NAT64 {@code 64:ff9b::/96} and {@code 64:ff9b:1::/48}, and 6to4
     * {@code 2002::/16}.
     */
    private static byte[] embeddedV4(byte[] bytes) {
        boolean zeroPrefix = true;
        for (int i = 0; i < 10; i++) {
            zeroPrefix &= bytes[i] == 0;
        }
        boolean mapped = zeroPrefix && (bytes[10] & 0xFF) == 0xFF && (bytes[11] & 0xFF) == 0xFF;
        boolean compatible = zeroPrefix && bytes[10] == 0 && bytes[11] == 0;
        boolean nat64 = (bytes[0] & 0xFF) == 0x00 && (bytes[1] & 0xFF) == 0x64 && (bytes[2] & 0xFF) == 0xFF
                && (bytes[3] & 0xFF) == 0x9B;
        if (mapped || compatible || nat64) {
            return java.util.Arrays.copyOfRange(bytes, 12, 16);
        }
        if ((bytes[0] & 0xFF) == 0x20 && (bytes[1] & 0xFF) == 0x02) {
            return java.util.Arrays.copyOfRange(bytes, 2, 6);
        }
        return null;
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
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
                .setHost(host)
                .setPort(port)
                .setSsl(https)
                .setURI(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery())
                .setFollowRedirects(false)
                .setIdleTimeout(settings.timeout().toMillis());
        Promise<String> result = Promise.promise();
        client.request(options).compose(request -> request.send()).onComplete(sent -> {
            if (sent.failed()) {
                result.fail(error("fetching the image " + url + " failed: " + sent.cause().getMessage()));
                return;
            }
            var response = sent.result();
            if (response.statusCode() != 200) {
                response.end();
                result.fail(error("fetching the image " + url + " returned status " + response.statusCode()));
                return;
            }
            String type = response.getHeader("content-type");
            if (type != null && !type.startsWith("image/")) {
                response.end();
                result.fail(error("the URL " + url + " is not an image: its content type is " + type));
                return;
            }
            Buffer bytes = Buffer.buffer();
            response.handler(chunk -> {
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
                String declared = type == null ? "image/png" : type.split(";")[0].trim();
                String base64 = Base64.getEncoder().encodeToString(bytes.getBytes());
                Images.DataUri data = Images.parseDataUri("data:" + declared + ";base64," + base64);
                result.tryComplete("data:" + data.mediaType() + ";base64," + base64);
            });
        });
        return result.future();
    }

    private static <T> Future<T> failed(String message) {
        return Future.failedFuture(error(message));
    }

    private static AiException error(String message) {
        return new AiException(AiError.of(400, "invalid_image_url", message));
    }
}
