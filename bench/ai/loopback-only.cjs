// Preloaded with `node -r` so that every TCP server the process opens binds to 127.0.0.1 only. The Portkey
// gateway's start-server.js has no option for its listen address and would otherwise listen on all interfaces.
'use strict';
const net = require('net');

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const first = args[0];
    let options;
    if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
        // listen(port[, host][, backlog]): the host is replaced and the backlog is kept.
        options = { port: Number(first), host: '127.0.0.1' };
        if (typeof args[2] === 'number') {
            options.backlog = args[2];
        }
    } else if (first !== null && typeof first === 'object' && 'port' in first) {
        options = { ...first, host: '127.0.0.1' };
    } else {
        // A Unix socket path or an inherited handle is not a network listener.
        return listen.call(this, ...args, ...(callback ? [callback] : []));
    }
    return callback ? listen.call(this, options, callback) : listen.call(this, options);
};
