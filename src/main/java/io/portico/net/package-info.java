/**
 * IP addresses and CIDR ranges: strict parsing of address literals (never a DNS lookup), formatting in the
 * RFC 5952 form, sets of ranges that match an address in logarithmic time, and the classification of addresses
 * that outbound clients use against server-side request forgery ({@link io.portico.net.AddressRules}), and the
 * syntax of a request's host and port ({@link io.portico.net.Authority}).
 */
package io.portico.net;
