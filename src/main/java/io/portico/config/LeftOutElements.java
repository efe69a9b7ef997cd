package io.portico.config;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The list elements that mapping left out of a copy of a specification, so that errors name each element by its
 * index as written rather than by its index in the shortened list.
 */
final class LeftOutElements {

    /** For each list that lost elements, the index as written of each element it still has. */
    private final Map<ArrayNode, List<Integer>> writtenIndices = new IdentityHashMap<>();

    /**
     * Removes the object field or list element at the end of {@code path} in {@code root}, and returns false
     * when the path names neither.
     */
    boolean remove(JsonNode root, List<JsonMappingException.Reference> path) {
        if (path.isEmpty()) {
            return false;
        }
        JsonNode parent = root;
        for (JsonMappingException.Reference reference : path.subList(0, path.size() - 1)) {
            parent = reference.getFieldName() != null ? parent.get(reference.getFieldName())
                    : parent.get(reference.getIndex());
            if (parent == null) {
                return false;
            }
        }
        JsonMappingException.Reference last = path.get(path.size() - 1);
        if (last.getFieldName() != null) {
            return parent instanceof ObjectNode object && object.remove(last.getFieldName()) != null;
        }
        int index = last.getIndex();
        if (!(parent instanceof ArrayNode list) || index < 0 || index >= list.size()) {
            return false;
        }
        removeElement(list, index);
        return true;
    }

    /** Returns whether a list in {@code root}, at any depth, has a null element. */
    static boolean hasNullElement(JsonNode root) {
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node instanceof ArrayNode list && containsNull(list)) {
                return true;
            }
            if (node.isContainerNode()) {
                node.elements().forEachRemaining(pending::push);
            }
        }
        return false;
    }

    /**
     * Removes every null element of every list in {@code root}, before any other element is removed, and returns
     * the path of each, such as {@code targets[1]}, in document order.
     */
    List<String> removeNullElements(JsonNode root) {
        List<String> removed = new ArrayList<>();
        removeNullElements(root, "", removed);
        return removed;
    }

    private void removeNullElements(JsonNode node, String path, List<String> removed) {
        if (node instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                String key = field.getKey();
                removeNullElements(field.getValue(), path.isEmpty() ? key : path + "." + key, removed);
            }
        } else if (node instanceof ArrayNode list) {
            List<Integer> nullIndices = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i).isNull()) {
                    nullIndices.add(i);
                    removed.add(path + "[" + i + "]");
                } else {
                    removeNullElements(list.get(i), path + "[" + i + "]", removed);
                }
            }
            // Removing from the end keeps the indices of the elements still to be removed.
            for (int i = nullIndices.size() - 1; i >= 0; i--) {
                removeElement(list, nullIndices.get(i));
            }
        }
    }

    private static boolean containsNull(ArrayNode list) {
        for (JsonNode element : list) {
            if (element.isNull()) {
                return true;
            }
        }
        return false;
    }

    private void removeElement(ArrayNode list, int index) {
        List<Integer> written = writtenIndices.computeIfAbsent(list,
                key -> new ArrayList<>(IntStream.range(0, key.size()).boxed().toList()));
        written.remove(index);
        list.remove(index);
    }

    /**
     * Returns the path of the field that {@code path} names in {@code root}, such as {@code targets[2].port},
     * with each list index as written.
     */
    String writtenPath(JsonNode root, List<JsonMappingException.Reference> path) {
        StringBuilder field = new StringBuilder();
        JsonNode node = root;
        for (JsonMappingException.Reference reference : path) {
            if (reference.getFieldName() != null) {
                field.append(field.length() == 0 ? "" : ".").append(reference.getFieldName());
                node = node == null ? null : node.get(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                List<Integer> written = node instanceof ArrayNode list ? writtenIndices.get(list) : null;
                int index = reference.getIndex();
                field.append('[').append(written == null || index >= written.size() ? index
                        : written.get(index)).append(']');
                node = node == null ? null : node.get(index);
            }
        }
        return field.toString();
    }

    /**
     * Returns the written indices of the lists in {@code root} that lost elements, keyed by each list's path in
     * {@code root}, as the kind's validator names fields.
     */
    Map<String, List<Integer>> writtenIndices(JsonNode root) {
        if (writtenIndices.isEmpty()) {
            return Map.of();
        }
        Map<String, List<Integer>> byPath = new HashMap<>();
        collect(root, "", byPath);
        return byPath;
    }

    private void collect(JsonNode node, String path, Map<String, List<Integer>> byPath) {
        if (node instanceof ObjectNode object) {
            object.properties().forEach(field -> collect(field.getValue(),
                    path.isEmpty() ? field.getKey() : path + "." + field.getKey(), byPath));
        } else if (node instanceof ArrayNode list) {
            List<Integer> written = writtenIndices.get(list);
            if (written != null) {
                byPath.put(path, written);
            }
            for (int i = 0; i < list.size(); i++) {
                collect(list.get(i), path + "[" + i + "]", byPath);
            }
        }
    }

    /**
     * Returns {@code field}, a path in the mapped value, with the index into each list of {@code writtenIndices}
     * replaced by the index as written. Inner lists come first, because their paths contain the indices of the
     * outer lists as mapped.
     */
    static String writtenField(String field, Map<String, List<Integer>> writtenIndices) {
        List<String> lists = writtenIndices.keySet().stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
        String written = field;
        for (String list : lists) {
            String start = list + "[";
            int close = written.indexOf(']', start.length());
            if (!written.startsWith(start) || close < 0) {
                continue;
            }
            String digits = written.substring(start.length(), close);
            List<Integer> indices = writtenIndices.get(list);
            if (!digits.isEmpty() && digits.chars().allMatch(Character::isDigit) && digits.length() < 10
                    && Integer.parseInt(digits) < indices.size()) {
                written = start + indices.get(Integer.parseInt(digits)) + written.substring(close);
            }
        }
        return written;
    }
}
