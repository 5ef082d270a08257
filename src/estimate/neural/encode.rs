//! The front of every network: the declared encoder (`encoder.rs`) applied to
//! its columns, its output concatenated with the remaining (tabular)
//! covariates. Without an encoder the front is the identity and draws nothing,
//! so networks without one keep their bytes.

use tch::{Tensor, nn};

use super::encoder::EncoderSpec;
use super::mlp::{Init, Mlp, Mode};
use crate::rng::RunRng;

struct Encoded {
    stack: Mlp,
    /// Covariate indices of the structured input, in the shape's order.
    structured: Tensor,
    tabular: Tensor,
    /// `[-1, channels, steps]` or `[-1, channels, height, width]`.
    view: Vec<i64>,
}

pub struct Front {
    encoded: Option<Encoded>,
    /// Width of what the representation receives.
    pub out_dim: usize,
}

impl Front {
    /// The front for covariates `names` (the run's, in their column order).
    pub fn new(
        path: &nn::Path,
        names: &[String],
        spec: Option<&EncoderSpec>,
        init: Init,
        rng: &mut RunRng,
        device: tch::Device,
    ) -> Result<Front, String> {
        let Some(spec) = spec else { return Ok(Front { encoded: None, out_dim: names.len() }) };
        let structured = spec.select(names)?;
        let tabular: Vec<i64> = (0..names.len()).filter(|i| !structured.contains(i)).map(|i| i as i64).collect();
        let stack = Mlp::over(path, spec.shape(), &spec.layers, None, init, rng)?;
        let out_dim = stack.out_dim + tabular.len();
        let index = |v: Vec<i64>| Tensor::from_slice(&v).to_device(device);
        let view = std::iter::once(-1).chain(spec.dims.iter().map(|&d| d as i64)).collect();
        Ok(Front {
            encoded: Some(Encoded {
                stack,
                structured: index(structured.into_iter().map(|i| i as i64).collect()),
                tabular: index(tabular),
                view,
            }),
            out_dim,
        })
    }

    /// `[n, covariates]` to `[n, out_dim]`: the encoding, then the tabular columns.
    pub fn forward(&self, x: &Tensor, mode: &mut Mode) -> Tensor {
        let Some(e) = &self.encoded else { return x.shallow_clone() };
        let structured = x.index_select(1, &e.structured).view(e.view.as_slice());
        let code = e.stack.forward(&structured, mode);
        Tensor::cat(&[code, x.index_select(1, &e.tabular)], 1)
    }
}
