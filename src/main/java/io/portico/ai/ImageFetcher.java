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

    /** True when {@code body} (internal form) has an image given by an http or https URL. */
    static boolean hasRemoteImages(JsonNode body) {
        return !remoteImages(body).isEmpty();
    }

    private static List<ObjectNode> remoteImages(JsonNode body) {
        List<ObjectNode> images = new ArrayList<>();
        for (JsonNode message : body.path("messages")) {
            for (JsonNode part : message.path("content")) {
                JsonNode image = part.get("image_url");
                if (image instanceof ObjectNode object) {
                    String url = object.path("url").asText("");
                    if (url.startsWith("https://") || url.startsWith("http://")) {
                        images.add(object);
                    }
                }
            }
        }
        return images;
    }

    /** Returns a copy of {@code body} with every remote image replaced by a data URI of its bytes. */
    Future<ObjectNode> inline(ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        List<ObjectNode> images = remoteImages(copy);
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
            boolean uniqueLocal = (bytes[0] & 0xFE) == 0xFC;
            boolean mappedV4 = isMappedV4(bytes);
            if (mappedV4) {
                try {
                    return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(bytes, 12, 16)));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
            return !uniqueLocal;
        }
        int first = bytes[0] & 0xFF;
        int second = bytes[1] & 0xFF;
        boolean sharedAddressSpace = first == 100 && second >= 64 && second <= 127;
        boolean reserved = first == 0 || first >= 240;
        return !sharedAddressSpace && !reserved;
    }

    private static boolean isMappedV4(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return (bytes[10] & 0xFF) == 0xFF && (bytes[11] & 0xFF) == 0xFF;
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
