/**
 * The model catalog of the AI gateway: context windows, output limits, capabilities and prices of the models that
 * the gateway's providers serve, shipped as {@code models.yaml} and extended by an operator's own file.
 */
package io.portico.ai.catalog;
