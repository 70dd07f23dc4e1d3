#include "models/torchscript.h"

#include <algorithm>
#include <sstream>

#include "models/family.h"
#include "util/files.h"
#include "util/hash.h"

namespace models {
namespace {

// The interpreter's message on one line: the error itself ends it, after the TorchScript
// traceback; LibTorch's own C++ backtrace is left out.
std::string last_line(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 ? c10->what_without_backtrace() : e.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto traceback = text.find("Traceback of TorchScript");
  if (traceback == std::string::npos) return text.substr(0, text.find('\n'));
  return text.substr(text.rfind('\n') + 1);
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << "(";
  for (std::int64_t d = 0; d < t.dim(); ++d) out << (d ? ", " : "") << t.size(d);
  out << ")";
  return out.str();
}

// The module's own loss, if any: its number of arguments, self aside. Throws ModuleError for a
// loss the runner cannot call.
std::size_t loss_arguments(const torch::jit::Module& m) {
  const auto loss = m.find_method("loss");
  if (!loss) return 0;
  const auto& args = loss->function().getSchema().arguments();
  const std::size_t n = args.empty() ? 0 : args.size() - 1;
  if (n == 2 || (n == 3 && args[3].type()->kind() == c10::TypeKind::FloatType)) return n;
  std::ostringstream schema;
  schema << loss->function().getSchema();
  throw ModuleError("loss must take (x, target) or (x, target, beta: float); it is " +
                    schema.str());
}

torch::Tensor call(const torch::jit::Module& m, const char* method,
                   std::vector<torch::jit::IValue> args) {
  auto out = m.get_method(method)(std::move(args));
  if (!out.isTensor())
    throw ModuleError(std::string(method) + " must return a Tensor, not " + out.tagKind());
  return out.toTensor();
}

// check_module's calls, each failure a ModuleError saying which call.
template <typename F>
auto checked(const std::string& what, F&& f) {
  try {
    return f();
  } catch (const ModuleError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModuleError(what + " fails: " + last_line(e));
  }
}

}  // namespace

torch::jit::Module load_module(const std::string& bytes, const std::string& file) {
  // The interpreter runs the module's ops as written. Its optimizing executor would rewrite the
  // graph after a few profiling runs, so a step's arithmetic would depend on how many steps this
  // process ran before it: a resumed trial would not end as the uninterrupted one.
  torch::jit::setGraphExecutorOptimize(false);
  torch::jit::Module m;
  try {
    std::istringstream in(bytes);
    m = torch::jit::load(in, torch::Device(torch::kCPU));
  } catch (const std::exception& e) {
    throw ModuleError(file +
                      " is not a TorchScript module (torch.jit.script(model).save(path) "
                      "writes one): " +
                      last_line(e));
  }
  for (const char* method : {"encode", "decode"})
    if (!m.find_method(method))
      throw ModuleError(file + " has no method " + method +
                        "(): mark it @torch.jit.export in the module's class");
  // Buffers (BatchNorm's running statistics, say) would be neither checkpointed nor kept alike
  // across the ranks of a trial.
  for (const auto& b : m.named_buffers())
    throw ModuleError(file + " has a buffer, " + b.name +
                      ": buffers are not supported (their state would be neither checkpointed "
                      "nor kept in step across ranks)");
  std::size_t trainable = 0;
  for (const auto& p : m.named_parameters()) {
    if (p.value.scalar_type() != torch::kFloat32)
      throw ModuleError(file + ": parameter " + p.name + " is " +
                        std::string(c10::toString(p.value.scalar_type())) + ", not float32");
    trainable += p.value.requires_grad() ? 1 : 0;
  }
  if (trainable == 0) throw ModuleError(file + " has no parameter to train");
  try {
    loss_arguments(m);
  } catch (const ModuleError& e) {
    throw ModuleError(file + ": " + e.what());
  }
  return m;
}

std::string check_module(const torch::jit::Module& m, const torch::Tensor& input,
                         std::int64_t output_dim) {
  torch::NoGradGuard no_grad;
  const std::int64_t batch = input.size(0);
  const auto z = checked("encode on a batch of shape " + shape_of(input),
                         [&] { return call(m, "encode", {input}); });
  if (z.dim() != 2 || z.size(0) != batch)
    throw ModuleError("encode must return codes of shape (batch, code); on a batch of shape " +
                      shape_of(input) + " it returns " + shape_of(z));
  const auto x_hat =
      checked("decode on codes of shape " + shape_of(z), [&] { return call(m, "decode", {z}); });
  if (x_hat.dim() != 2 || x_hat.size(0) != batch || x_hat.size(1) != output_dim)
    throw ModuleError("decode must return (batch, " + std::to_string(output_dim) +
                      ") images; on codes of shape " + shape_of(z) + " it returns " +
                      shape_of(x_hat));
  if (const std::size_t n = loss_arguments(m)) {
    const auto target = input.narrow(1, 0, output_dim);
    std::vector<torch::jit::IValue> args = {input, target};
    if (n == 3) args.emplace_back(1.0);
    // With gradients, as training calls it: a loss may take derivatives of its own (an exact
    // contractive penalty through torch.autograd.grad, say).
    torch::AutoGradMode with_gradients(true);
    const auto loss = checked("loss", [&] { return call(m, "loss", args); });
    if (loss.dim() != 0 || !loss.is_floating_point())
      throw ModuleError("loss must return a floating-point scalar; it returns " +
                        std::string(c10::toString(loss.scalar_type())) + " of shape " +
                        shape_of(loss));
  }
  if (!m.find_method("reset_parameters"))
    return "it has no reset_parameters(): every repeat starts from the file's weights";
  return "";
}

TorchScriptAEImpl::TorchScriptAEImpl(torch::jit::Module module)
    : module_(std::move(module)), loss_arguments_(loss_arguments(module_)) {
  if (module_.find_method("reset_parameters")) module_.run_method("reset_parameters");
  // The same tensors, registered here too: whatever moves or re-seats them (the device, the flat
  // buffer) moves the module's.
  for (const auto& p : module_.named_parameters()) {
    std::string name = p.name;
    std::replace(name.begin(), name.end(), '.', '/');
    register_parameter(name, p.value, p.value.requires_grad());
  }
}

torch::Tensor TorchScriptAEImpl::encode(const torch::Tensor& x) {
  return call(module_, "encode", {x});
}

torch::Tensor TorchScriptAEImpl::decode(const torch::Tensor& z) {
  return call(module_, "decode", {z});
}

Losses TorchScriptAEImpl::loss(const Batch& b, const LossWeights& w) {
  if (loss_arguments_ > 0) {
    std::vector<torch::jit::IValue> args = {b.input, b.target};
    if (loss_arguments_ == 3) args.emplace_back(w.beta);
    auto total = call(module_, "loss", std::move(args));
    return {total, total};
  }
  auto z = encode(b.input);
  auto recon = torch::mse_loss(decode(z), b.target);
  if (w.lambda > 0) return {recon + w.lambda * z.abs().sum(1).mean(), recon};
  return {recon, recon};
}

void TorchScriptAEImpl::train(bool on) {
  module_.train(on);
  AutoencoderImpl::train(on);
}

namespace {

// Loads the file rank 0 hashed: a file changed since then fails the trial rather than train
// something its identity does not say.
std::shared_ptr<AutoencoderImpl> make_torchscript(const sweeps::ModelConfig& c, std::int64_t,
                                                  std::int64_t, std::int64_t) {
  const std::string bytes = util::read_file(c.file);
  if (!c.file_hash.empty() && util::hex64(util::stable_hash64(bytes)) != c.file_hash)
    throw ModuleError(c.file + " has changed since the sweep was loaded: run the sweep again");
  return std::make_shared<TorchScriptAEImpl>(load_module(bytes, c.file));
}

std::string torchscript_unfusable(const sweeps::ModelConfig&) {
  return "a TorchScript module is one model: its layers cannot be stacked into an array";
}

}  // namespace

const Family& torchscript_family() {
  static const Family kFamily = {{sweeps::ModelKind::kTorchscript},
                                 make_torchscript,
                                 one_stage,
                                 torchscript_unfusable,
                                 nullptr};
  return kFamily;
}

}  // namespace models
