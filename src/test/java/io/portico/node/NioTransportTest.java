package io.portico.node;

/** A node on the JDK's NIO transport, which every platform has. */
class NioTransportTest extends ProxyOverTransport {

    @Override
    String transport() {
        return "nio";
    }
}
