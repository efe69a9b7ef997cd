/**
 * The request pipeline shared by REST, AI and MCP routes: the per-request {@link io.portico.pipeline.RequestContext},
 * the {@link io.portico.pipeline.Policy} SPI that every cross-cutting feature implements, and the
 * {@link io.portico.pipeline.Backend} that ends each route's pipeline.
 */
package io.portico.pipeline;
