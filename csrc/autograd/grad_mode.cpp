#include "ember/autograd.h"

namespace ember::autograd {
namespace {
thread_local bool t_grad_enabled = true;
thread_local bool t_inference_mode = false;
bool g_anomaly = false;
}  // namespace

bool is_grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }
bool is_inference_mode_enabled() { return t_inference_mode; }
void set_inference_mode(bool enabled) { t_inference_mode = enabled; }
bool is_anomaly_enabled() { return g_anomaly; }
void set_anomaly_enabled(bool enabled) { g_anomaly = enabled; }

}  // namespace ember::autograd
