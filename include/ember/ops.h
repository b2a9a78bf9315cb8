#pragma once
// Every op, by family. Each family header is plain declarations; each has one
// csrc/ops/<family>.cpp with the forward and its backward side by side.
#include "ember/ops/binary.h"
#include "ember/ops/copy.h"
#include "ember/ops/factory.h"
#include "ember/ops/indexing.h"
#include "ember/ops/join.h"
#include "ember/ops/linalg.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"
#include "ember/ops/unary.h"
