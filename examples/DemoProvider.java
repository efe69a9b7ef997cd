import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for an OpenAI-compatible model provider, for trying the AI gateway without a provider account. It
 * answers {@code POST /v1/chat/completions} on 127.0.0.1 (port from the first argument, 8090 by default) with
 * "Hello from NAME" (the second argument), streamed when the request asks for it, and reports token usage. Run it
 * with {@code java examples/DemoProvider.java 8090 demo}.
 */
public final class DemoProvider {

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8090;
        String name = args.length > 1 ? args[1] : "demo";
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/v1/chat/completions", exchange -> chat(exchange, name));
        server.start();
        System.out.println("Demo provider " + name + " on http://127.0.0.1:" + port + "/v1");
    }

    private static void chat(HttpExchange exchange, String name) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String model = field(body, "model");
        String text = "Hello from " + name;
        String usage = "{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}";
        if (body.replace(" ", "").contains("\"stream\":true")) {
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (String piece : new String[] {"Hello ", "from ", name}) {
                    event(out, chunk(model, "{\"content\":\"" + piece + "\"}", "null"));
                }
                event(out, chunk(model, "{}", "\"stop\""));
                event(out, "{\"id\":\"chatcmpl-demo\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                        + "\"model\":\"" + model + "\",\"choices\":[],\"usage\":" + usage + "}");
                event(out, "[DONE]");
            }
            return;
        }
        byte[] json = ("{\"id\":\"chatcmpl-demo\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":" + usage + "}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", "application/json");
        exchange.sendResponseHeaders(200, json.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(json);
        }
    }

    private static String chunk(String model, String delta, String finish) {
        return "{\"id\":\"chatcmpl-demo\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]}";
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads a top-level string field of a small JSON document; enough for the model name of a demo request. */
    private static String field(String json, String name) {
        int key = json.indexOf("\"" + name + "\"");
        int start = json.indexOf('"', json.indexOf(':', key) + 1);
        return key < 0 || start < 0 ? "unknown" : json.substring(start + 1, json.indexOf('"', start + 1));
    }
}
