using Omni.DiffusionStage.Scheduling;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

public sealed class VelocitySamplerTests
{
    [Fact]
    public void FlowMatch_StepAndTimesteps_AreTheSchedules()
    {
        var schedule = new FlowMatchEulerScheduler(1000, shift: 3.0).CreateSchedule(5);
        var sampler = new FlowMatchVelocitySampler(schedule);
        using var scope = NewDisposeScope();
        var sample = randn(2, 4, 8, 8);
        var velocity = randn(2, 4, 8, 8);

        Assert.Equal(5, sampler.Steps);
        Assert.Equal(schedule.Timesteps, Enumerable.Range(0, 5).Select(sampler.ModelTimestep));
        Assert.True(sampler.ModelInput(sample, 2).equal(sample).all().item<bool>());
        Assert.True(sampler.Step(velocity, 2, sample).equal(schedule.Step(velocity, 2, sample)).all().item<bool>());
    }

    [Theory]
    [InlineData(TimestepSpacing.Leading)]
    [InlineData(TimestepSpacing.Trailing)]
    public void Ddim_ExactVelocity_GivesTheDdimStepOfTheTrueNoise(TimestepSpacing spacing)
    {
        var scheduler = new DdimScheduler(new DdimSchedulerOptions { TimestepSpacing = spacing, ClipSample = false });
        var schedule = scheduler.CreateSchedule(10);
        var sampler = new DdimVelocitySampler(schedule, scheduler.NumTrainTimesteps);
        using var scope = NewDisposeScope();
        var x0 = randn(1, 4, 8, 8, dtype: float64);
        var noise = randn(1, 4, 8, 8, dtype: float64);

        for (var step = 0; step < 10; step++)
        {
            double alpha = schedule.AlphaProdT(step);
            var sample = x0.mul(Math.Sqrt(alpha)).add(noise.mul(Math.Sqrt(1 - alpha)));
            var sigma = sampler.ModelTimestep(step) / scheduler.NumTrainTimesteps;

            // The model's input is the flow-matching sample at sigma: (1 - sigma) x0 + sigma noise.
            var input = sampler.ModelInput(sample, step);
            Assert.True(input.allclose(x0.mul(1 - sigma).add(noise.mul(sigma)), rtol: 1e-6, atol: 1e-6), $"step {step}");

            // A perfect velocity prediction (noise - x0) turns into DDIM's step with the true noise.
            var stepped = sampler.Step(noise.sub(x0), step, sample);
            Assert.True(stepped.allclose(schedule.Step(noise, step, sample), rtol: 1e-5, atol: 1e-5), $"step {step}");
        }
    }

    [Fact]
    public void Ddim_ModelTimesteps_DecreaseWithinTheTrainingRange()
    {
        var scheduler = new DdimScheduler(new DdimSchedulerOptions { TimestepSpacing = TimestepSpacing.Trailing });
        var sampler = new DdimVelocitySampler(scheduler.CreateSchedule(20), scheduler.NumTrainTimesteps);

        var timesteps = Enumerable.Range(0, sampler.Steps).Select(sampler.ModelTimestep).ToList();

        Assert.All(timesteps, t => Assert.InRange(t, 0, 1000));
        Assert.Equal(timesteps.OrderByDescending(t => t), timesteps);
    }
}
