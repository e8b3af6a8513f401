/* placeholder: delete when the module's first real file lands */
typedef int cr_text_placeholder_t;
