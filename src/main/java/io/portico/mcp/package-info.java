/** The MCP gateway: published APIs and prompts as Model Context Protocol tools, and governed MCP upstreams. */
package io.portico.mcp;
