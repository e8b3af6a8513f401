/* placeholder: delete when the module's first real file lands */
typedef int cr_index_placeholder_t;
