// Package nn is ALSO's neural reward surrogate: a small MLP whose parameters live in
// gorgonia.org/tensor Dense tensors, with hand-written backpropagation, Adam and SGD as PyTorch
// implements them, cosine learning-rate annealing, gradient-norm clipping and the reference's
// early-stop rule (also-method.md section 1.5).
//
// Two training paths compute the same mathematics:
//
//   - TrainGeneric uses gorgonia's generic tensor operations (MatMul, element-wise Add, Sqrt ...).
//     It is short and obviously right, and serves as the reference in tests and benchmarks.
//   - Workspace.Train is the fast path. At the paper configuration the 8192x100 first layer and
//     Adam over ~830k parameters dominate, so one streaming pass over the first layer's weights
//     and Adam moments per mini-batch step computes the gradient rows on the fly, clips, applies
//     weight decay and Adam, and accumulates the next mini-batch's first-layer pre-activations.
//     The clipping norm of that layer comes from the batch Gram matrix, without materialising
//     its gradient. Kernels use AVX2/FMA through simd/archsimd when built with
//     GOEXPERIMENT=simd on an AVX2 CPU, and portable scalar Go otherwise; both perform the same
//     IEEE operations in the same order, so the results do not depend on which kernels run.
//
// Training is CPU-heavy; a Pool bounds how many trainings run at once and reuses their buffers.
// Everything is float64 and deterministic given the *rand.Rand.
package nn
