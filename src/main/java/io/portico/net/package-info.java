/**
 * IP addresses and CIDR ranges: strict parsing of address literals (never a DNS lookup), formatting in the
 * RFC 5952 form, and sets of ranges that match an address in logarithmic time.
 */
package io.portico.net;
