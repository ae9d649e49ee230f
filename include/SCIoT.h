/* SCIoT.h — everything a device needs, in one header (the name Arduino and
 * PlatformIO look for): the device core, the engine, the model reader and
 * the wire format. Plain C; usable from C++ (Arduino sketches). */
#ifndef SCIOT_H
#define SCIOT_H

#include "sciot/status.h"
#include "sciot/model.h"
#include "sciot/engine.h"
#include "sciot/wire.h"
#include "sciot/device.h"

#endif
