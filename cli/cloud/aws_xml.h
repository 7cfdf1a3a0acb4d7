/* Reading the EC2 query API's XML replies: a small, strict tree reader.
 * Elements, text and the five predefined entities plus numeric character
 * references; attributes, comments, the <?xml ?> declaration and CDATA are
 * accepted and attributes ignored. Anything malformed (a tag left open, a
 * mismatched close, text outside the root, an unknown entity) is an error,
 * never a guess: a reply pith cannot read is reported as such. */
#pragma once
#include <stddef.h>

struct xml_node {
    char *name;                 /* without a namespace prefix */
    char *text;                 /* the element's own character data, decoded, trimmed */
    struct xml_node *child;     /* first child element */
    struct xml_node *next;      /* next sibling */
};

/* Parse text[0..len). The root element, to be freed with xml_free, or NULL
 * with the reason in err. */
struct xml_node *xml_parse(const char *text, size_t len, char *err, size_t errlen);
void xml_free(struct xml_node *n);

/* The first child of n named name, or NULL (n may be NULL). */
struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Follow a path of child names separated by '/': "instancesSet/item". */
struct xml_node *xml_path(const struct xml_node *n, const char *path);
/* The text of xml_path(n, path), or "" when there is none. */
const char *xml_text(const struct xml_node *n, const char *path);
