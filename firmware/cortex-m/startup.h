/* startup.h — what the startup code reports about memory use. */
#ifndef SCIOT_FW_STARTUP_H
#define SCIOT_FW_STARTUP_H

#include <stddef.h>

/* Deepest stack use so far (bytes below the top that are no longer the
 * paint pattern) and the size of the stack region. */
size_t fw_stack_used(void);
size_t fw_stack_size(void);

#endif
