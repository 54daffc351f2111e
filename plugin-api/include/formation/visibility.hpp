// Plugins build with -fvisibility=hidden. Types shared by host and plugins keep default
// visibility so their type information is one and the same on both sides.
#pragma once

#define FORMATION_API [[gnu::visibility("default")]]
