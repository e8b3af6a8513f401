/* placeholder: delete when the module's first real file lands */
typedef int cr_store_placeholder_t;
